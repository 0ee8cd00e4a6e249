-- wrk script for webhook_throughput.py: replays pre-signed Twilio webhook requests, each used once.
--
--   wrk -t1 -c4 -d4s -s benchmarks/wrk_signed_calls.lua http://127.0.0.1:PORT -- FILE NTHREADS NEEDLE [SECONDS]
--
-- FILE has one request per line: "<X-Twilio-Signature>\t<urlencoded form body>" (path /voice/incoming).
-- Thread k of NTHREADS sends lines k, k+NTHREADS, ...; when its lines run out it stops (the count bound). It
-- also stops SECONDS (a fraction allowed) after its first request: wrk's -d takes whole seconds only. Once
-- stopped, it sends wrk SIGINT, which wakes wrk's main thread (asleep for the whole -d otherwise) to end the
-- run now (every thread's: webhook_throughput.py runs one): the time around a run is then the run's, not the
-- rest of -d idle.
-- Each response is checked: status 200, body starting "<?xml", and not containing NEEDLE (the words of
-- the webhook's "technical problem" fallback answer). Times come from CLOCK_MONOTONIC through LuaJIT's
-- ffi, from the first request sent to the last response received, because wrk's own duration runs from
-- before the first request to the end of -d or of the run. Besides the totals, done() writes wrk's latency
-- histogram (microseconds and how many answers took that long) so that runs can be added up before taking
-- percentiles.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
  int kill(int pid, int sig);
  int getpid(void);
]]
local CLOCK_MONOTONIC, SIGINT = 1, 2
local ts = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  needle = args[3] or ""
  deadline_us = tonumber(args[4] or "0") * 1000000
  requests, sent, received = {}, 0, 0
  non200, not_xml, fallback, exhausted = 0, 0, 0, 0
  first_us, last_us, stopped = 0, 0, false
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Host"] = wrk.host .. ":" .. tostring(wrk.port),
  }
  local index = 0
  for line in io.lines(file) do
    if index % nthreads == thread_id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      headers["X-Twilio-Signature"] = signature
      table.insert(requests, wrk.format("POST", "/voice/incoming", headers, body))
    end
    index = index + 1
  end
  total = #requests
end

function request()
  sent = sent + 1
  if sent == 1 then
    first_us = now_us()
  end
  if sent > total then
    -- In flight past the end of the list: never reuse a CallSid; this one is answered 403 and counted.
    exhausted = exhausted + 1
    return wrk.format("POST", "/voice/incoming", { ["Content-Type"] = "application/x-www-form-urlencoded" }, "")
  end
  return requests[sent]
end

function response(status, headers, body)
  received = received + 1
  if received > total then
    return
  end
  last_us = now_us()
  if status ~= 200 then
    non200 = non200 + 1
  elseif body:sub(1, 5) ~= "<?xml" then
    not_xml = not_xml + 1
  elseif needle ~= "" and body:find(needle, 1, true) then
    fallback = fallback + 1
  end
  if not stopped and (received >= total or (deadline_us > 0 and last_us - first_us >= deadline_us)) then
    stopped = true
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), SIGINT)
  end
end

function done(summary, latency, _)
  local count, bad_status, bad_body, degraded, spent_us = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    local got = math.min(thread:get("received"), thread:get("total"))
    count = count + got
    bad_status = bad_status + thread:get("non200")
    bad_body = bad_body + thread:get("not_xml")
    degraded = degraded + thread:get("fallback")
    local span = thread:get("last_us") - thread:get("first_us")
    if span > spent_us then
      spent_us = span
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d elapsed_us=%.0f non200=%d not_xml=%d fallback=%d socket_errors=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    count, spent_us, bad_status, bad_body, degraded, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max))
  -- latency(i) is the i-th distinct value recorded and its count; #latency how many distinct values there are.
  local buckets = {}
  for i = 1, #latency do
    local microseconds, answers = latency(i)
    buckets[i] = string.format("%d:%d", microseconds, answers)
  end
  io.write("LATENCY " .. table.concat(buckets, " ") .. "\n")
end
