-- common: shared by the wrk scripts of bench/run.sh (issue 5 benchmarks).
-- Environment: BENCH_DATA (directory the seeder wrote its id files to),
-- BENCH_KEY (API key), BENCH_USER (its user id). Every script counts the
-- status of each response (the `response` hook) and, in `done`, prints
--   BENCH statuses 200=123 404=1
--   BENCH non2xx 1
-- which run.sh adds to wrk's socket errors for the errors column.
local M = {}

M.data = os.getenv("BENCH_DATA") or "."
M.key = os.getenv("BENCH_KEY") or ""
M.user = os.getenv("BENCH_USER") or ""
M.base = "/api/data-governance/data-products"
M.headers = { ["Authorization"] = "Bearer " .. M.key, ["Accept"] = "application/json" }

-- The lines of a file the seeder wrote, as an array.
function M.lines(name)
  local t = {}
  local f = assert(io.open(M.data .. "/" .. name, "r"))
  for line in f:lines() do
    if #line > 0 then t[#t + 1] = line end
  end
  f:close()
  assert(#t > 0, name .. " is empty")
  return t
end

function M.pick(t) return t[math.random(#t)] end

-- JSON string literal for the plain ASCII text the scripts generate.
function M.q(s) return '"' .. s:gsub('[\\"]', '\\%0') .. '"' end

-- Installs setup/init/response/done; load(i) runs once per wrk thread
-- (in its own Lua state) before its first request.
function M.install(load)
  local threads = {}
  local n = 0
  setup = function(thread)
    n = n + 1
    thread:set("tid", n)
    threads[#threads + 1] = thread
  end
  init = function(args)
    math.randomseed(os.time() * 1000 + (tid or 0))
    codes = {}
    seq = 0
    if load then load(tid or 0) end
  end
  response = function(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
  end
  done = function(summary, latency, requests)
    local all, non2xx = {}, 0
    for _, t in ipairs(threads) do
      for code, count in pairs(t:get("codes") or {}) do
        all[code] = (all[code] or 0) + count
      end
    end
    local keys = {}
    for code, count in pairs(all) do
      keys[#keys + 1] = code
      if code < 200 or code > 299 then non2xx = non2xx + count end
    end
    table.sort(keys)
    local parts = {}
    for _, code in ipairs(keys) do parts[#parts + 1] = code .. "=" .. all[code] end
    io.write("BENCH statuses " .. table.concat(parts, " ") .. "\n")
    io.write("BENCH non2xx " .. non2xx .. "\n")
  end
end

return M
