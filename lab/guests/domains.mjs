// libvirt domain XML for the three nested lab guests. All run the tiny multiboot kernel (fast under double
// TCG); imap and office power off on ACPI, web ignores it (the on_timeout path). No network. web carries
// libvirt's autostart flag and has no [[guest]] table: cryptvm gates it through that flag.
export const GUEST_KERNEL = '/usr/local/lib/cryptvm-lab/guest.elf';

const disks = {
  imap: `<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none'/>
      <source dev='/dev/mapper/cr_imap_encr'/><target dev='vda' bus='virtio'/></disk>`,
  web: `<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none'/>
      <source dev='/dev/mapper/cr_data'/><target dev='vda' bus='virtio'/></disk>`,
  office: `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/secure/office.qcow2'/><target dev='vda' bus='virtio'/></disk>`,
};

export const GUESTS = [
  { name: 'imap', acpi: true },
  { name: 'web', acpi: false, autostart: true },
  { name: 'office', acpi: true },
];

export function domainXml({ name, acpi }) {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${GUEST_KERNEL}</kernel>
    <cmdline>${acpi ? 'acpi-poweroff' : 'ignore-acpi'}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    ${disks[name]}
    <controller type='usb' model='none'/>
    <serial type='file'><source path='/var/log/libvirt/qemu/${name}-serial.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
