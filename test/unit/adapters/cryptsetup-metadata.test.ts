import { describe, expect, it } from 'vitest';
import { parseLuks2Json, unlockCost } from '../../../src/adapters/cryptsetup/metadata.js';

const doc = {
  keyslots: {
    '1': { type: 'luks2', priority: 2, kdf: { type: 'argon2id', time: 4, memory: 1048576, cpus: 4 } },
    '0': { type: 'luks2', kdf: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 } },
    '2': { type: 'luks2', priority: 0, kdf: { type: 'argon2i', time: 3, memory: 65536, cpus: 8 } },
  },
  tokens: { '0': { type: 'systemd-tpm2', keyslots: ['1'] } },
};

describe('LUKS2 metadata', () => {
  it('parses slots (sorted), priorities, kdf parameters and tokens', () => {
    const m = parseLuks2Json(JSON.stringify(doc));
    expect(m.keyslots.map((k) => [k.id, k.priority, k.pbkdf.type])).toEqual([
      [0, 'normal', 'pbkdf2'],
      [1, 'prefer', 'argon2id'],
      [2, 'ignore', 'argon2i'],
    ]);
    expect(m.keyslots[1]?.pbkdf).toEqual({ type: 'argon2id', memoryKiB: 1048576, iterations: 4, parallel: 4 });
    expect(m.tokens).toEqual([{ id: 0, type: 'systemd-tpm2', keyslots: [1] }]);
  });

  it('unlockCost takes the worst memory and the most threads', () => {
    expect(unlockCost(parseLuks2Json(JSON.stringify(doc)))).toEqual({ memoryKiB: 1048576, threads: 8 });
    expect(unlockCost({ keyslots: [] })).toEqual({ memoryKiB: 1024, threads: 1 });
  });

  it('rejects an unknown kdf', () => {
    expect(() => parseLuks2Json('{"keyslots":{"0":{"type":"luks2","kdf":{"type":"scrypt"}}}}')).toThrow(/unknown kdf scrypt/);
  });
});
