-- Scenario 5: POST create (durable: the server commits with synchronous=FULL
-- before it answers 201). A realistic body: description, 2 tags, one data
-- set, a key contact.
package.path = (os.getenv("BENCH_LUA_DIR") or "bench") .. "/?.lua;" .. package.path
local c = require("common")
local tags, datasets
c.install(function()
  tags = c.lines("tags.txt")
  datasets = c.lines("dataset_ids.txt")
end)
local headers = { ["Authorization"] = c.headers["Authorization"],
                  ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
request = function()
  seq = seq + 1
  local t1, t2 = c.pick(tags), c.pick(tags)
  if t1 == t2 then t2 = t2 .. "-2" end
  local body = '{"name":' .. c.q("Bench product " .. tid .. "-" .. seq) ..
    ',"description":"Created by the HTTP benchmark to measure durable inserts."' ..
    ',"tags":[' .. c.q(t1) .. ',' .. c.q(t2) .. ']' ..
    ',"datasetIds":[' .. c.q(c.pick(datasets)) .. ']' ..
    ',"keyContacts":[{"userId":' .. c.q(c.user) .. ',"role":"Data steward"}]}'
  return wrk.format("POST", c.base, headers, body)
end
