/*
 * A tiny freestanding multiboot (v1) guest for the lab's nested libvirt domains.
 * Why: a nested Linux guest under double TCG needs ~200 s to boot; this one is up in well under a second.
 * It finds the ACPI PM1 registers through the FADT, enables the power button event and idles with HLT
 * (a PIT tick wakes it) so it costs almost no host CPU. On a power-button press (`virsh shutdown`) it writes
 * SLP_EN with SLP_TYP=0, which QEMU treats as soft power-off - unless its command line says "ignore-acpi",
 * then it just logs and keeps running (the lab's "unresponsive guest", the on_timeout path).
 * Everything it does is logged on COM1 so `<serial type='file'>` shows it.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

__asm__(
  ".section .multiboot,\"a\"\n.align 4\n"
  ".long 0x1BADB002\n.long 0\n.long -0x1BADB002\n"
  ".text\n.globl _start\n_start:\n"
  "  cli\n  mov $stack_top, %esp\n  push %ebx\n  push %eax\n"
  "  lgdt gdt_desc\n  ljmp $0x08, $1f\n1:\n"
  "  mov $0x10, %cx\n  mov %cx, %ds\n  mov %cx, %es\n  mov %cx, %ss\n  mov %cx, %fs\n  mov %cx, %gs\n"
  "  call kmain\n2: cli\n  hlt\n  jmp 2b\n"
  ".globl isr\nisr:\n  push %eax\n  mov $0x20, %al\n  out %al, $0xa0\n  out %al, $0x20\n  pop %eax\n  iret\n"
  ".data\n.align 8\ngdt:\n  .quad 0\n  .quad 0x00cf9a000000ffff\n  .quad 0x00cf92000000ffff\n"
  "gdt_desc:\n  .word 23\n  .long gdt\n"
  ".bss\n.align 16\n  .skip 8192\nstack_top:\n"
  ".text\n"); /* back to .text: GCC assumes it is still there */

extern void isr(void);

static inline void outb(u16 p, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(p)); }
static inline u8 inb(u16 p) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u16 inw(u16 p) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static void putc(char c) {
  for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++) {}
  outb(0x3f8, (u8)c);
}
static void puts(const char *s) { while (*s) { if (*s == '\n') putc('\r'); putc(*s++); } }
static void puthex(u32 v) {
  puts("0x");
  for (int i = 28; i >= 0; i -= 4) putc("0123456789abcdef"[(v >> i) & 15]);
}
static int memeq(const void *a, const char *b, int n) {
  const u8 *p = a;
  for (int i = 0; i < n; i++) if (p[i] != (u8)b[i]) return 0;
  return 1;
}
static int contains(const char *s, const char *w) {
  for (; s && *s; s++) {
    int i = 0;
    while (w[i] && s[i] == w[i]) i++;
    if (!w[i]) return 1;
  }
  return 0;
}

/* ACPI: RSDP in the BIOS area -> RSDT -> FADT ("FACP"). */
static const u8 *find_fadt(void) {
  for (u32 a = 0xE0000; a < 0x100000; a += 16) {
    if (!memeq((const void *)a, "RSD PTR ", 8)) continue;
    const u8 *rsdt = (const u8 *)*(const u32 *)(a + 16);
    u32 len = *(const u32 *)(rsdt + 4);
    for (u32 off = 36; off + 4 <= len; off += 4) {
      const u8 *t = (const u8 *)*(const u32 *)(rsdt + off);
      if (memeq(t, "FACP", 4)) return t;
    }
  }
  return 0;
}

static struct { u16 sel_lo; u16 cs; u8 zero; u8 flags; u16 sel_hi; } idt[256];

static void setup_interrupts(void) {
  u32 h = (u32)isr;
  for (int i = 0; i < 256; i++) {
    idt[i].sel_lo = h & 0xffff; idt[i].cs = 0x08; idt[i].zero = 0; idt[i].flags = 0x8e; idt[i].sel_hi = h >> 16;
  }
  struct { u16 lim; u32 base; } __attribute__((packed)) d = { sizeof(idt) - 1, (u32)idt };
  __asm__ volatile("lidt %0" : : "m"(d));
  outb(0x43, 0x34); outb(0x40, 23864 & 0xff); outb(0x40, 23864 >> 8); /* PIT ~50 Hz */
  outb(0x21, 0xfe); outb(0xa1, 0xff);                                /* only IRQ0 */
}

void kmain(u32 magic, const u32 *mbi) {
  const char *cmdline = (magic == 0x2BADB002 && (mbi[0] & 4)) ? (const char *)mbi[4] : "";
  int ignore = contains(cmdline, "ignore-acpi");
  u16 evt = 0x600, cnt = 0x604, evt_len = 4;
  const u8 *fadt = find_fadt();
  if (fadt) {
    evt = (u16)*(const u32 *)(fadt + 56);
    cnt = (u16)*(const u32 *)(fadt + 64);
    evt_len = fadt[88];
    u32 smi = *(const u32 *)(fadt + 48);
    u8 enable = fadt[52];
    if (smi && enable && !(inw(cnt) & 1)) outb((u16)smi, enable); /* ACPI mode (SCI_EN) */
  }
  u16 en = evt + evt_len / 2;
  outw(evt, 0x100);              /* clear a stale PWRBTN_STS (write 1 to clear) */
  outw(en, inw(en) | 0x100);     /* PWRBTN_EN */
  setup_interrupts();
  puts("lab-guest: up fadt="); puthex((u32)fadt); puts(" pm1a_evt="); puthex(evt);
  puts(" pm1a_cnt="); puthex(cnt); puts(ignore ? " mode=ignore-acpi\n" : " mode=acpi-poweroff\n");
  for (;;) {
    __asm__ volatile("sti; hlt; cli");
    if (!(inw(evt) & 0x100)) continue;
    outw(evt, 0x100);
    if (ignore) { puts("lab-guest: power button pressed, ignoring it\n"); continue; }
    puts("lab-guest: power button pressed, powering off\n");
    outw(cnt, (u16)((inw(cnt) & ~(7u << 10)) | (1u << 13))); /* SLP_TYP=0 (soft off) | SLP_EN */
  }
}
