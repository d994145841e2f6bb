-- Replays requests prepared by bench/wrk.ts. Arguments (after `--`): the file, one request per
-- line (method, path, body, then "name: value" headers, separated by tabs), and the thread count.
-- Each thread sends its own share of the lines in order, starting over when its share runs out;
-- what it sent beyond its share is counted as repeated (a repeated submit is a replay, not a
-- fresh one). Answers are counted by status, errors also by the spec's reason. done() prints one
-- line, `WRK_RESULT <json>`, which bench/wrk.ts reads.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local thread_count = tonumber(args[2])
  prepared = {}
  local line_index = 0
  for line in io.lines(args[1]) do
    if line_index % thread_count == thread_index then
      local fields = split(line)
      local headers = {}
      for i = 4, #fields do
        local name, value = fields[i]:match("^([^:]+): (.*)$")
        headers[name] = value
      end
      table.insert(prepared, wrk.format(fields[1], fields[2], headers, fields[3] ~= "" and fields[3] or nil))
    end
    line_index = line_index + 1
  end
  prepared_count = #prepared
  assert(prepared_count > 0, "thread " .. thread_index .. " has no requests: fewer lines than threads")
  sent = 0
  answers = {}
  -- The process's CPU time once this thread is ready: done() counts only what the run used after it.
  ready_cpu_seconds = os.clock()
end

function request()
  sent = sent + 1
  return prepared[(sent - 1) % prepared_count + 1]
end

function response(status, headers, body)
  local answer = tostring(status)
  if status >= 400 then
    local reason = body:match('"reason":"([%w_]+)"') or body:match('"code":"([%w_]+)"')
    if reason then answer = answer .. " " .. reason end
  end
  answers[answer] = (answers[answer] or 0) + 1
end

function done(summary, latency, requests)
  local merged, repeated, ready = {}, 0, 0
  for _, thread in ipairs(threads) do
    for answer, count in pairs(thread:get("answers")) do
      merged[answer] = (merged[answer] or 0) + count
    end
    repeated = repeated + math.max(0, thread:get("sent") - thread:get("prepared_count"))
    ready = math.max(ready, thread:get("ready_cpu_seconds"))
  end
  local answer_fields = {}
  for answer, count in pairs(merged) do
    table.insert(answer_fields, string.format('"%s":%d', answer, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"durationUs":%d,"cpuSeconds":%.4f,"answers":{%s},"repeated":%d,' ..
      '"socketErrors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"latencyUs":{"count":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.duration, os.clock() - ready, table.concat(answer_fields, ","), repeated,
    errors.connect, errors.read, errors.write, errors.timeout,
    summary.requests, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
