-- The wrk script of bench/run.py --server.
--
--   wrk ... -s bench/wrk/oauth.lua URL -- EXPECT METHOD fixed [BODY]
--   wrk ... -s bench/wrk/oauth.lua URL -- EXPECT METHOD pool FILE
--
-- "fixed" sends one request over and over (BODY, if given, as a form). "pool" sends each
-- line of FILE.<thread number> once, as the form body of one request: every request
-- carries a fresh authorization code or refresh token, made beforehand. When a thread's
-- lines run out it sends its last line again (which must then fail) and counts it as
-- "exhausted". Every response whose status is not EXPECT is counted as "unexpected".
-- At the end one line "WRK_JSON {...}" gives the counts and the latency percentiles (µs).

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  expect = tonumber(args[1])
  unexpected = 0
  exhausted = 0
  wrk.method = args[2]
  if wrk.method == "POST" then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  if args[3] == "fixed" then
    if args[4] then
      wrk.body = args[4]
    end
    return
  end
  local bodies = {}
  for line in io.lines(args[4] .. "." .. id) do
    bodies[#bodies + 1] = line
  end
  local next_body = 0
  request = function()
    next_body = next_body + 1
    local body = bodies[next_body]
    if body == nil then
      exhausted = exhausted + 1
      body = bodies[#bodies]
    end
    return wrk.format(nil, nil, nil, body)
  end
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local unexpected_total, exhausted_total = 0, 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + thread:get("unexpected")
    exhausted_total = exhausted_total + thread:get("exhausted")
  end
  local percentiles = {}
  for _, p in ipairs({50, 75, 90, 99, 99.9}) do
    percentiles[#percentiles + 1] = string.format('"%s": %d', tostring(p), latency:percentile(p))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "unexpected": %d,'
      .. ' "exhausted": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d,'
      .. ' "timeouts": %d, "non_2xx_3xx": %d, "latency_mean_us": %.1f, "latency_max_us": %d,'
      .. ' "percentiles_us": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, unexpected_total, exhausted_total,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    latency.mean, latency.max, table.concat(percentiles, ", ")))
end
