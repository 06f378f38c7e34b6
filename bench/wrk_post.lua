-- wrk script: POST JSON bodies, rotating through a file of bodies (one compact JSON per line),
-- and print one machine-readable summary line at the end.
--
--   wrk -t2 -c32 -d15s --timeout 10s -s bench/wrk_post.lua http://127.0.0.1:PORT/predict_revenue -- BODIES
--
-- The last line printed starts with "WRKJSON " followed by a JSON object (latencies in
-- microseconds). "non2xx" counts every response whose status is outside 200-299 (wrk's own
-- "status" error counter only counts >= 400); "statuses" breaks them down by code.
--
-- wrk runs this file in one Lua state per thread plus one for setup()/done(): per-thread
-- counters are globals read back in done() with thread:get().

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

local reqs = {}
local idx = 0
non2xx = 0
statuses = {}

function init(args)
   local path = args[1]
   if path == nil then
      error("wrk_post.lua: pass the bodies file after '--'")
   end
   local f = assert(io.open(path, "r"))
   local headers = { ["Host"] = wrk.headers["Host"], ["Content-Type"] = "application/json" }
   for line in f:lines() do
      if #line > 0 then
         reqs[#reqs + 1] = wrk.format("POST", nil, headers, line)
      end
   end
   f:close()
   if #reqs == 0 then
      error("wrk_post.lua: no bodies in " .. path)
   end
   -- threads start at different bodies
   idx = ((id or 1) * 7) % #reqs
end

function request()
   idx = idx % #reqs + 1
   return reqs[idx]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      local k = tostring(status)
      statuses[k] = (statuses[k] or 0) + 1
   end
end

function done(summary, latency, requests)
   local bad, codes = 0, {}
   for _, t in ipairs(threads) do
      bad = bad + (t:get("non2xx") or 0)
      local s = t:get("statuses") or {}
      for k, v in pairs(s) do
         codes[k] = (codes[k] or 0) + v
      end
   end
   local parts = {}
   for k, v in pairs(codes) do
      parts[#parts + 1] = string.format('"%s":%d', k, v)
   end
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
      '"non2xx":%d,"statuses":{%s},' ..
      '"lat_mean_us":%.1f,"lat_stdev_us":%.1f,"lat_max_us":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      bad, table.concat(parts, ","),
      latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9)))
end
