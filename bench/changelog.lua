-- Scenario 4: a random page (limit 20, newest first) of the changelog of
-- the product with BENCH_BIG_CHANGELOG entries (100000 by default).
package.path = (os.getenv("BENCH_LUA_DIR") or "bench") .. "/?.lua;" .. package.path
local c = require("common")
local pages = math.floor((tonumber(os.getenv("BENCH_BIG_CHANGELOG") or "100000") + 19) / 20)
local path
c.install(function() path = c.base .. "/" .. c.lines("big_product.txt")[1] .. "/changelogs" end)
request = function()
  return wrk.format("GET", path .. "?limit=20&page=" .. math.random(pages), c.headers)
end
