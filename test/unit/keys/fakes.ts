// Test doubles for the key modules: a KeyContext builder, and the family's asker and volume builder
// (test/helpers) under the names these tests import.
import type { VolumeConfig } from '../../../src/config/types.js';
import type { KeyContext } from '../../../src/keys/types.js';

export { FakeAsker } from '../../helpers/fake-asker.js';
export { volume } from '../../helpers/config.js';

export function ctx(v: VolumeConfig, guests: string[] = [], signal = new AbortController().signal, credentialsDir?: string): KeyContext {
  return { volume: v, device: `/dev/vg/${v.name}`, guests, signal, credentialsDir };
}
