// SPDX-License-Identifier: MIT
// Prometheus durations ('5m', '1h30m'): read, checked and said in words.
local units = { ms: 'millisecond', s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', y: 'year' };

// The [number, unit] parts of S: '1h30m' -> [['1', 'h'], ['30', 'm']].
local parts(s) =
  local isDigit(ch) = ch >= '0' && ch <= '9';
  local step(st, ch) =
    if isDigit(ch) then
      if st.unit != '' then st { done+: [[st.n, st.unit]], n: ch, unit: '' } else st { n: st.n + ch }
    else st { unit: st.unit + ch };
  local st = std.foldl(step, std.stringChars(s), { done: [], n: '', unit: '' });
  st.done + [[st.n, st.unit]];

local valid(s) =
  std.length(s) > 0 && std.length(s) <= 32
  && std.length([p for p in parts(s) if p[0] == '' || !std.objectHas(units, p[1])]) == 0;

{
  valid: valid,
  // S in words: '2h' -> '2 hours', '1h30m' -> '1 hour 30 minutes'.
  words(s)::
    assert valid(s) : 'not a Prometheus duration: ' + s;
    std.join(' ', ['%s %s%s' % [p[0], units[p[1]], if p[0] == '1' then '' else 's'] for p in parts(s)]),
}
