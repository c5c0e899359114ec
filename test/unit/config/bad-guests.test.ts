// One test per bad [[guest]]: references that do not resolve and start orders that cannot be satisfied.

import { describe, it } from 'vitest';
import { type BadCase, expectOneError, FILE, toml } from './helpers.js';

const VOLUME = toml`
  [[volume]]
  name = "cr_imap"
  device = "/dev/sda"
`;

const cases: BadCase[] = [
  {
    name: 'unknown volume, with a suggestion',
    text: toml`
      ${VOLUME}
      [[guest]]
      name = "imap"
      volumes = ["cr_imap", "cr_imao"]
    `,
    line: 7,
    message: `${FILE}:7: guest#1.volumes: no volume named "cr_imao" in this file, did you mean "cr_imap"? — add a [[volume]] with that name, or correct the name`,
  },
  {
    name: 'unknown guest in after',
    text: toml`
      [[guest]]
      name = "imap"
      after = ["dns"]
    `,
    line: 3,
    message: `${FILE}:3: guest#1.after: no guest named "dns" in this file — add a [[guest]] with that name, or correct the name`,
  },
  {
    name: 'cycle in after, named in full',
    text: toml`
      [[guest]]
      name = "imap"
      after = ["dns"]
      [[guest]]
      name = "dns"
      after = ["ldap"]
      [[guest]]
      name = "ldap"
      after = ["imap"]
    `,
    line: 3,
    message: `${FILE}:3: guest#1.after: start order has a cycle: imap → dns → ldap → imap — remove one of these "after" entries`,
  },
  {
    name: 'duplicate guest names',
    text: toml`
      [[guest]]
      name = "imap"
      [[guest]]
      name = "imap"
    `,
    line: 4,
    message: `${FILE}:4: guest#2.name: guest name "imap" is already used at line 1 — list each guest once`,
  },
  {
    name: 'invalid domain name',
    text: toml`
      [[guest]]
      name = "mail/imap"
    `,
    line: 2,
    message: `${FILE}:2: guest#1.name: "mail/imap" is not a valid libvirt domain name — use the name \`virsh list --all\` shows`,
  },
  {
    name: 'unknown on_timeout action',
    text: toml`
      [[guest]]
      name = "imap"
      on_timeout = "save"
    `,
    line: 3,
    message: `${FILE}:3: guest#1.on_timeout: must be "destroy" or "managedsave", not "save" — write on_timeout = "destroy"`,
  },
];

describe('refused config files: guests', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});
