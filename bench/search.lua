-- Scenario 2: marketplace search, a page of 20 activated products whose
-- name/description/tags contain a random word and that carry a random tag.
package.path = (os.getenv("BENCH_LUA_DIR") or "bench") .. "/?.lua;" .. package.path
local c = require("common")
local words, tags
c.install(function()
  words = c.lines("words.txt")
  tags = c.lines("tags.txt")
end)
request = function()
  return wrk.format("GET", c.base .. "?activated=true&query=" .. c.pick(words) ..
    "&tag=" .. c.pick(tags) .. "&limit=20", c.headers)
end
