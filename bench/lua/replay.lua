-- Replays precomputed, Digest-authenticated requests: thread i reads PREFIX.i.tsv
-- (method TAB uri TAB authorization TAB body per line; each thread has its own nonce, nc counting up).
-- When a thread runs out of lines it starts over (those replays are refused by the sandbox with 401,
-- so they show as non-2xx) and counts it in `exhausted`. done() prints one BENCHJSON line.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local prefix = args[1]
  local path = prefix .. "." .. id .. ".tsv"
  reqs = {}
  for line in io.lines(path) do
    local method, uri, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Authorization"] = auth, ["x-client-id"] = "web" }
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    reqs[#reqs + 1] = wrk.format(method, uri, headers, body)
  end
  n = 0
  exhausted = 0
  bad = 0
  statuses = {}
end

function request()
  n = n + 1
  if n > #reqs then
    n = 1
    exhausted = exhausted + 1
  end
  return reqs[n]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad_total, exhausted_total, lines = 0, 0, 0
  local agg, codes = {}, {}
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    exhausted_total = exhausted_total + thread:get("exhausted")
    lines = lines + thread:get("n")
    for code, count in pairs(thread:get("statuses")) do
      agg[code] = (agg[code] or 0) + count
    end
  end
  for code, count in pairs(agg) do
    codes[#codes + 1] = string.format('"%d":%d', code, count)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"status_errors":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"exhausted":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"codes":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, bad_total, e.status, e.connect, e.read,
    e.write, e.timeout, exhausted_total, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, table.concat(codes, ",")))
end
