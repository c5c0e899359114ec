// One thing `cryptvm doctor` reports. Its own module: the checks in src/cli/*.ts produce findings and
// src/cli/commands/doctor.ts prints them, so neither imports the other.
export interface Finding {
  /** 'problem' will bite (exit 1); 'note' is worth knowing. */
  level: 'problem' | 'note';
  what: string;
  fix: string;
}
