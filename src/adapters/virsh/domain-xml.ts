// Disks of a domain from `virsh dumpxml --inactive`. The planner maps these sources to our mappings
// (/dev/mapper/<name> for block disks, image files that live on a mapped filesystem).
import { XMLParser } from 'fast-xml-parser';

export interface DomainDisk {
  /** 'other' covers network, volume (storage pool), dir, nvme, vhostuser: nothing we can map to a path. */
  type: 'block' | 'file' | 'other';
  /** libvirt's device kind: 'disk', 'cdrom', 'floppy', 'lun'. */
  device: string;
  /** dev= of a block disk, file= of a file disk; undefined for 'other' and for empty drives (cdrom). */
  source: string | undefined;
  /** Guest-side name (vda, sdb, hdc); '' if the XML has none. */
  target: string;
  /** libvirt's own type attribute, for messages about 'other' disks. */
  rawType: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Only elements that repeat or that we index must be arrays; the rest stays as parsed.
  isArray: (name) => name === 'disk' || name === 'devices',
  parseAttributeValue: false,
  processEntities: true,
});

type Node = Record<string, unknown>;

function attr(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const v = (node as Node)[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

/** Throws a plain Error on XML that is not a libvirt domain; the adapter wraps it with the guest's name. */
export function parseDomainDisks(xml: string): DomainDisk[] {
  const doc = parser.parse(xml) as Node;
  const domain = doc['domain'];
  if (domain === undefined || domain === null || typeof domain !== 'object') {
    throw new Error('not a libvirt domain XML (no <domain> element)');
  }
  const disks: DomainDisk[] = [];
  for (const devices of ((domain as Node)['devices'] as unknown[] | undefined) ?? []) {
    if (devices === null || typeof devices !== 'object') continue;
    for (const disk of ((devices as Node)['disk'] as unknown[] | undefined) ?? []) {
      const rawType = attr(disk, 'type') ?? 'file'; // libvirt's default disk type is file
      const src = (disk as Node)['source'];
      const type = rawType === 'block' ? 'block' : rawType === 'file' ? 'file' : 'other';
      const source = type === 'block' ? attr(src, 'dev') : type === 'file' ? attr(src, 'file') : undefined;
      disks.push({
        type,
        device: attr(disk, 'device') ?? 'disk',
        source,
        target: attr((disk as Node)['target'], 'dev') ?? '',
        rawType,
      });
    }
  }
  return disks;
}
