-- Scenario 1: GET one data product by a random id (also the nginx anchor's
-- script: nginx answers every path with the same file).
package.path = (os.getenv("BENCH_LUA_DIR") or "bench") .. "/?.lua;" .. package.path
local c = require("common")
local ids
c.install(function() ids = c.lines("product_ids.txt") end)
request = function()
  return wrk.format("GET", c.base .. "/" .. c.pick(ids), c.headers)
end
