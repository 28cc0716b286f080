-- Scenario 3: the product list sorted by -updatedAt at a deep page
-- (BENCH_DEEP_PAGE, run.sh passes N/40: the middle of the list at limit 20).
package.path = (os.getenv("BENCH_LUA_DIR") or "bench") .. "/?.lua;" .. package.path
local c = require("common")
local page = tonumber(os.getenv("BENCH_DEEP_PAGE") or "1")
c.install()
request = function()
  return wrk.format("GET", c.base .. "?sort=-updatedAt&limit=20&page=" .. page, c.headers)
end
