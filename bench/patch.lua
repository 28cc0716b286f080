-- Scenario 6: PATCH one field (/description) of a random product: a JSON
-- Patch that always changes something, so each request writes the product
-- and one changelog entry.
package.path = (os.getenv("BENCH_LUA_DIR") or "bench") .. "/?.lua;" .. package.path
local c = require("common")
local ids
c.install(function() ids = c.lines("product_ids.txt") end)
local headers = { ["Authorization"] = c.headers["Authorization"],
                  ["Content-Type"] = "application/json-patch+json" }
request = function()
  seq = seq + 1
  local body = '[{"op":"replace","path":"/description","value":' ..
    c.q("Edited by the HTTP benchmark, thread " .. tid .. " edit " .. seq) .. '}]'
  return wrk.format("PATCH", c.base .. "/" .. c.pick(ids), headers, body)
end
