// The q35 machine (-M q35, QEMU 7.2's pc-q35-7.2) running the Debian guest
// (workload q35) beside qemu-system-x86_64 -M q35: the guest must find the
// same PCI functions with the same IDs, classes and IRQs (the ICH9's PIRQ
// map through the ACPI _PRT, the AHCI's MSI; the SMBus controller), the ECAM window at the same
// place and reserved the same way, read the host's text from an INTx-only
// virtio-blk-pci, from a disk on the AHCI controller (-drive if=ide) and
// from its CD-ROM (-cdrom), get a DHCP lease through an e1000, see each
// interrupt on the same pin with the same trigger, and power off through
// the ICH9's ACPI registers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

constexpr char kHostText[] = "hello from the host 42\n";
constexpr char kCdText[] = "cdrom text from the host\n";

// A 1 MiB file that starts with text.
void make_image(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  std::string data(1u << 20, '\0');
  data.replace(0, text.size(), text);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::vector<std::string> q35_results(std::vector<std::string> emulator,
                                     const std::filesystem::path& guest, const std::string& tag) {
  const std::string base =
      ::testing::TempDir() + "/vx86-q35-" + tag + "-" + std::to_string(getpid());
  const std::string disk = base + ".img", sata_disk = base + "-sata.img", cd = base + ".iso";
  make_image(disk, kHostText);
  make_image(sata_disk, kHostText);
  make_image(cd, kCdText);
  const std::vector<std::string> devices = {"-smp",    "1",
                                            "-drive",  "if=none,id=d0,format=raw,file=" + disk,
                                            "-device", "virtio-blk-pci,drive=d0,vectors=0",
                                            "-netdev", "user,id=n0",
                                            "-device", "e1000,netdev=n0",
                                            "-drive",  "if=ide,format=raw,file=" + sata_disk,
                                            "-cdrom",  cd};
  const std::string serial = run_guest_workload(std::move(emulator), guest, "q35", devices, tag);
  for (const std::string& file : {disk, sata_disk, cd}) std::filesystem::remove(file);
  return guest_results(serial, "q35 ");
}

TEST(Q35MachineTest, TheGuestSeesTheChipsetAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "q35");
  const std::vector<std::string> ours = q35_results({VX86_BINARY, "-M", "q35"}, guest, "vx86");
  const std::vector<std::string> expected_in_ours = {
      "vx86-result: q35 pci 0000:00:00.0 0x8086:0x29c0 class=0x060000 irq=0 config=256",
      "vx86-result: q35 pci 0000:00:01.0 0x1234:0x1111 class=0x030000 irq=0 config=256",
      "vx86-result: q35 pci 0000:00:02.0 0x1af4:0x1001 class=0x010000 irq=22 config=256",
      "vx86-result: q35 pci 0000:00:03.0 0x8086:0x100e class=0x020000 irq=23 config=256",
      "vx86-result: q35 pci 0000:00:1f.0 0x8086:0x2918 class=0x060100 irq=0 config=256",
      "vx86-result: q35 pci 0000:00:1f.2 0x8086:0x2922 class=0x010601 irq=24 config=256",
      "vx86-result: q35 pci 0000:00:1f.3 0x8086:0x2930 class=0x0c0500 irq=10 config=256",
      "vx86-result: q35 iomem b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]",
      "vx86-result: q35 dmesg PCI: MMCONFIG at [mem 0xb0000000-0xbfffffff] reserved in E820",
      "vx86-result: q35 disk hello from the host 42",
      "vx86-result: q35 sata-disk hello from the host 42 size=2048",
      "vx86-result: q35 sata-cdrom cdrom text from the hos size=2048",
      "vx86-result: q35 scsi sda 0:0:0:0",
      "vx86-result: q35 scsi sr0 2:0:0:0",
      "vx86-result: q35 net-addr 10.0.2.15/24",
      "vx86-result: q35 irq 9: IO-APIC 9-fasteoi acpi",
      "vx86-result: q35 irq 22: IO-APIC 22-fasteoi virtio0",
      "vx86-result: q35 irq 23: IO-APIC 23-fasteoi eth0",
      "vx86-result: q35 irq 24: PCI-MSI 512000-edge ahci[0000:00:1f.2]"};
  expect_results_include(ours, expected_in_ours);
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  EXPECT_EQ(ours, q35_results({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, guest, "qemu"));
}

}  // namespace
}  // namespace vx86::test
