// Durations in the systemd style an administrator already writes in unit files: "90s", "2min", "1h",
// "500ms", "1min30s" (components may be separated by spaces), a bare number meaning seconds.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const COMPONENT = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/;

/** Milliseconds, or undefined when `s` is not a duration (negative, empty, unknown unit, overflow). */
export function parseDuration(s: string): number | undefined {
  const text = s.trim();
  if (/^\d+$/.test(text)) return checked(Number(text) * 1000);
  if (text === '') return undefined;
  let rest = text;
  let total = 0;
  while (rest !== '') {
    const m = COMPONENT.exec(rest);
    if (!m) return undefined;
    const unit = UNIT_MS[m[2] as string];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return checked(Math.round(total));
}

function checked(ms: number): number | undefined {
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const PARTS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** The shortest exact form parseDuration reads back: 90000 → "1min30s", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = rest < 0 ? '-' : '';
  rest = Math.abs(rest);
  for (const [unit, size] of PARTS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
