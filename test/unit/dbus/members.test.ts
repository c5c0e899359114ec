import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { CryptvmError } from '../../../src/errors.js';
import { toNamedError } from '../../../src/dbus/errors.js';
import { introspectionXml, METHODS } from '../../../src/dbus/members.js';
import { checkVolumes } from '../../../src/dbus/validate.js';

describe('introspection XML', () => {
  it('is well-formed and documents every method with named arguments', () => {
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ['interface', 'method', 'arg', 'annotation', 'property', 'signal'].includes(n) }).parse(introspectionXml('org.cryptvm.Manager1'));
    const iface = doc.node.interface.find((i: Record<string, string>) => i['@_name'] === 'org.cryptvm.Manager1');
    expect(iface.method.map((m: Record<string, string>) => m['@_name'])).toEqual(Object.keys(METHODS));
    for (const m of iface.method) {
      expect(m.annotation[0]['@_name']).toBe('org.freedesktop.DBus.Description');
      for (const a of m.arg ?? []) expect(a['@_name']).toMatch(/^[a-z_]+$/);
    }
    const unlock = iface.method.find((m: Record<string, string>) => m['@_name'] === 'Unlock');
    expect(unlock.arg.map((a: Record<string, string>) => `${a['@_direction']}:${a['@_type']}`)).toEqual(['in:as', 'out:a(ss)']);
  });
});

describe('toNamedError', () => {
  it('keeps a CryptvmError code and message, hides anything else', () => {
    expect(toNamedError(new CryptvmError('Busy', 'volume x is busy'))).toEqual({ name: 'org.cryptvm.Error.Busy', message: 'volume x is busy' });
    const other = toNamedError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(other.name).toBe('org.cryptvm.Error.Failed');
    expect(other.message).not.toContain('Cannot read');
  });
});

describe('checkVolumes', () => {
  const status = { phase: 'ready', status: '', configPath: '/etc/c.toml', volumes: [{ name: 'cr_a' }], guests: [] } as never;
  it('InvalidArgs for bad names, NotFound for unknown ones', () => {
    expect(checkVolumes(status, ['cr_a'])).toEqual(['cr_a']);
    expect(() => checkVolumes(status, ['a/b'])).toThrow(expect.objectContaining({ code: 'InvalidArgs' }));
    expect(() => checkVolumes(status, [''])).toThrow(expect.objectContaining({ code: 'InvalidArgs' }));
    expect(() => checkVolumes(status, ['cr_b'])).toThrow(expect.objectContaining({ code: 'NotFound', message: expect.stringContaining('no volume named cr_b in /etc/c.toml') }));
  });
});
