// The shipped bus policy: only root may own org.cryptvm.Manager1 or send to it; everyone else is denied
// (the real dbus-daemon check is in test/integration/dbus, which loads this same file).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { REPO } from './unit-file.js';

type Rule = Record<string, string>;
interface Policy { user?: string; context?: string; allow?: Rule[]; deny?: Rule[] }

const xml = readFileSync(resolve(REPO, 'packaging/dbus/org.cryptvm.Manager1.conf'), 'utf8');
const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['policy', 'allow', 'deny'].includes(n) }).parse(xml);
const policies: Policy[] = parsed.busconfig.policy;

describe('org.cryptvm.Manager1.conf', () => {
  it('lets root own the name and call it', () => {
    const root = policies.filter((p) => p.user === 'root');
    expect(root).toHaveLength(1);
    expect(root[0]?.allow).toEqual(expect.arrayContaining([{ own: 'org.cryptvm.Manager1' }, { send_destination: 'org.cryptvm.Manager1' }]));
    expect(root[0]?.deny).toBeUndefined();
  });

  it('denies everyone else owning or calling it, and allows nothing else', () => {
    const def = policies.filter((p) => p.context === 'default');
    expect(def).toHaveLength(1);
    expect(def[0]?.deny).toEqual(expect.arrayContaining([{ own: 'org.cryptvm.Manager1' }, { send_destination: 'org.cryptvm.Manager1' }]));
    expect(def[0]?.allow).toBeUndefined();
    expect(policies.every((p) => p.user === 'root' || p.context === 'default')).toBe(true);
  });
});
