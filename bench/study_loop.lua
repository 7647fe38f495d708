-- The study loop for wrk: each wrk thread is one user with one connection, alternating
-- GET /api/v1/study/next and POST /api/v1/reviews of the card it was shown, rated "again".
-- Run with -t N -c N so that every thread owns exactly one connection (thread state is then
-- connection state). The tokens come one per line from the file in $GRADCARDS_BENCH_TOKENS;
-- slugs to fall back on (when nothing is due) from $GRADCARDS_BENCH_SLUGS.

local tokens, slugs, next_thread, threads = {}, {}, 1, {}

local function read_lines(path, into)
  for line in io.lines(path) do
    if #line > 0 then into[#into + 1] = line end
  end
end

function setup(thread)
  if #tokens == 0 then
    read_lines(os.getenv("GRADCARDS_BENCH_TOKENS"), tokens)
    read_lines(os.getenv("GRADCARDS_BENCH_SLUGS"), slugs)
  end
  thread:set("token", tokens[(next_thread - 1) % #tokens + 1])
  thread:set("number", next_thread)
  thread:set("fallback", table.concat(slugs, " "))
  threads[#threads + 1] = thread
  next_thread = next_thread + 1
end

local shown, sent, fallbacks = nil, 0, {}
-- Globals, not locals: done() reads them from each thread with thread:get.
gets, posts, bad = 0, 0, 0

function init(args)
  for slug in string.gmatch(fallback, "%S+") do fallbacks[#fallbacks + 1] = slug end
  math.randomseed(number)
end

function request()
  local headers = { ["Authorization"] = "Bearer " .. token }
  if shown == nil then
    gets = gets + 1
    return wrk.format("GET", "/api/v1/study/next", headers)
  end
  headers["Content-Type"] = "application/json"
  sent = sent + 1
  posts = posts + 1
  local body = string.format(
    '{"card":"%s","rating":1,"duration_ms":1500,"idempotency_key":"wrk-%d-%d-%x"}',
    shown, number, sent, math.random(0, 0x7fffffff)
  )
  shown = nil
  return wrk.format("POST", "/api/v1/reviews", headers, body)
end

function response(status, headers, body)
  if status >= 300 then
    bad = bad + 1
    shown = nil
    return
  end
  if shown == nil and body:find('"buttons"', 1, true) then
    -- NextOut puts the card first, so the first slug in the body is the card's.
    shown = body:match('"slug"%s*:%s*"([^"]+)"') or fallbacks[math.random(#fallbacks)]
  end
end

-- One line the benchmark parses, so a loop that stopped posting (or only posted) shows.
function done(summary, latency, requests)
  local g, p, b = 0, 0, 0
  for _, thread in ipairs(threads) do
    g, p, b = g + thread:get("gets"), p + thread:get("posts"), b + thread:get("bad")
  end
  io.write(string.format("study-loop gets=%d posts=%d bad=%d\n", g, p, b))
end
