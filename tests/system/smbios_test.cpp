// SMBIOS against qemu-system-x86_64: the Debian guest reads its DMI fields
// (/sys/class/dmi/id) and the raw tables (/sys/firmware/dmi/tables) under
// both. Through firmware (SeaBIOS from a CD) every structure is the same, the
// BIOS entry SeaBIOS adds included; with a direct kernel boot, where QEMU
// still runs SeaBIOS and vx86 runs no firmware, all but the BIOS entry. The
// one difference allowed: the processor ID of type 4, which is each CPU
// model's CPUID signature and features.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/debian_iso.h"
#include "tests/system/file_text.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

const char kUuid[] = "12345678-9abc-def0-1122-334455667788";

struct Dmi {
  std::vector<std::string> fields;  // "name=value", as the guest read them
  std::vector<std::vector<uint8_t>> structures;
  std::vector<uint8_t> entry_point;
};

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Splits the table into structures (formatted area and strings), type 4's
// processor ID masked.
std::vector<std::vector<uint8_t>> structures_of(const std::vector<uint8_t>& table) {
  std::vector<std::vector<uint8_t>> out;
  std::size_t at = 0;
  while (at + 4 <= table.size()) {
    std::size_t end = at + table[at + 1];
    while (end + 1 < table.size() && !(table[end] == 0 && table[end + 1] == 0)) ++end;
    end += 2;
    std::vector<uint8_t> s(table.begin() + at, table.begin() + std::min(end, table.size()));
    if (s[0] == 4 && s.size() >= 16) std::fill(s.begin() + 8, s.begin() + 16, 0);
    out.push_back(std::move(s));
    at = end;
  }
  return out;
}

Dmi read_dmi(const std::string& serial) {
  Dmi dmi;
  for (const std::string& line : guest_results(serial, "dmi")) {
    const std::string tables = "vx86-result: dmi-tables ", entry = "vx86-result: dmi-entry ";
    if (line.rfind(tables, 0) == 0) {
      dmi.structures = structures_of(from_hex(line.substr(tables.size())));
    } else if (line.rfind(entry, 0) == 0) {
      dmi.entry_point = from_hex(line.substr(entry.size()));
    } else {
      dmi.fields.push_back(line.substr(std::string("vx86-result: dmi ").size()));
    }
  }
  return dmi;
}

Dmi direct_boot(const std::vector<std::string>& emulator, const std::filesystem::path& guest,
                const std::string& memory, const std::string& tag,
                const std::vector<std::string>& extra = {}) {
  std::vector<std::string> options = {"-uuid", kUuid, "-smp", "2", "-m", memory};
  options.insert(options.end(), extra.begin(), extra.end());
  return read_dmi(run_guest_workload(emulator, guest, "dmi", options, tag));
}

bool have_qemu() {
  return run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0;
}

std::vector<std::string> without_bios(std::vector<std::string> fields) {
  std::erase_if(fields, [](const std::string& f) { return f.rfind("bios_", 0) == 0; });
  return fields;
}

TEST(SmbiosTest, DirectBootGivesTheGuestQemusTables) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "dmi");
  // 5000 MiB: two memory ranges (below 3 GiB and above 4 GiB), type 19 twice.
  for (const std::string memory : {"256", "5000"}) {
    const Dmi ours = direct_boot({VX86_BINARY}, guest, memory, "vx86-" + memory);
    ASSERT_FALSE(ours.structures.empty()) << memory;
    EXPECT_NE(std::find(ours.fields.begin(), ours.fields.end(), "bios_vendor=vx86"),
              ours.fields.end());
    EXPECT_NE(
        std::find(ours.fields.begin(), ours.fields.end(), std::string("product_uuid=") + kUuid),
        ours.fields.end());
    EXPECT_EQ(ours.entry_point.size(), 31u);
    if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
    const Dmi theirs =
        direct_boot({"qemu-system-x86_64", "-accel", "tcg"}, guest, memory, "qemu-" + memory);
    EXPECT_EQ(without_bios(ours.fields), without_bios(theirs.fields)) << memory;
    // All but the BIOS entry (type 0, first in both).
    ASSERT_EQ(ours.structures.size(), theirs.structures.size()) << memory;
    ASSERT_EQ(ours.structures[0][0], 0);
    for (std::size_t i = 1; i < ours.structures.size(); ++i) {
      EXPECT_EQ(ours.structures[i], theirs.structures[i]) << memory << ": structure " << i;
    }
  }
}

// -smbios as libvirt's <sysinfo> writes it: a BIOS entry (which SeaBIOS
// keeps under QEMU, and which replaces vx86's own), system, baseboard,
// chassis, processor and memory fields, and OEM strings (systemd reads
// credentials from those).
TEST(SmbiosTest, SmbiosOptionsGiveTheSameTablesAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "dmi");
  const std::string oem_file = ::testing::TempDir() + "/smbios-oem-" + std::to_string(getpid());
  std::ofstream(oem_file) << "from a file";
  const std::vector<std::string> options = {
      "-smbios",
      "type=0,vendor=Acme BIOS,version=2.1,date=03/04/2025,release=2.1,uefi=on",
      "-smbios",
      "type=1,manufacturer=Acme,product=Anvil,serial=S-42,sku=A1,family=Tools",
      "-smbios",
      "type=2,manufacturer=Acme,product=Board,version=B,serial=BS,asset=BA,location=L",
      "-smbios",
      "type=3,manufacturer=Acme Cases,version=C,serial=CS,asset=CA,sku=CK",
      "-smbios",
      "type=4,sock_pfx=Socket,manufacturer=Acme CPUs,version=V,serial=PS,asset=PA,part=PP",
      "-smbios",
      "type=11,value=io.systemd.credential:greeting=hello,path=" + oem_file,
      "-smbios",
      "type=17,loc_pfx=Slot,bank=Bank 0,manufacturer=Acme RAM,serial=MS,asset=MA,"
      "part=MP,speed=3200"};
  const Dmi ours = direct_boot({VX86_BINARY}, guest, "256", "vx86-options", options);
  ASSERT_FALSE(ours.structures.empty());
  EXPECT_NE(std::find(ours.fields.begin(), ours.fields.end(), "bios_vendor=Acme BIOS"),
            ours.fields.end());
  EXPECT_NE(std::find(ours.fields.begin(), ours.fields.end(), "product_serial=S-42"),
            ours.fields.end());
  if (have_qemu()) {
    const Dmi theirs =
        direct_boot({"qemu-system-x86_64", "-accel", "tcg"}, guest, "256", "qemu-options", options);
    EXPECT_EQ(ours.fields, theirs.fields);
    EXPECT_EQ(ours.structures, theirs.structures);
  }
  std::filesystem::remove(oem_file);
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
}

TEST(SmbiosTest, SeabiosInstallsTheSameTablesAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "dmi");
  const std::string iso = ::testing::TempDir() + "/smbios-" + std::to_string(getpid()) + ".iso";
  const std::string why_not = make_debian_iso(guest, "console=ttyS0 vx86.workload=dmi", iso);
  if (!why_not.empty()) GTEST_SKIP() << why_not;
  auto boot = [&](std::vector<std::string> argv, const std::string& tag) {
    const std::string serial = ::testing::TempDir() + "/smbios-" + tag + ".serial";
    for (const std::string& a :
         {std::string("-display"), std::string("none"), std::string("-m"), std::string("256"),
          std::string("-nic"), std::string("none"), std::string("-uuid"), std::string(kUuid),
          std::string("-cdrom"), iso, std::string("-serial"), "file:" + serial}) {
      argv.push_back(a);
    }
    const CommandResult r = run_command(argv, 300);
    EXPECT_EQ(r.status, 0) << tag << ": " << r.err;
    Dmi dmi = read_dmi(file_text(serial));
    std::filesystem::remove(serial);
    return dmi;
  };
  const Dmi ours = boot({VX86_BINARY}, "vx86");
  ASSERT_FALSE(ours.structures.empty());
  EXPECT_NE(std::find(ours.fields.begin(), ours.fields.end(), "bios_vendor=SeaBIOS"),
            ours.fields.end());
  if (have_qemu()) {
    const Dmi theirs = boot({"qemu-system-x86_64", "-accel", "tcg"}, "qemu");
    EXPECT_EQ(ours.fields, theirs.fields);
    EXPECT_EQ(ours.structures, theirs.structures);
  }
  std::filesystem::remove(iso);
  if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
}

}  // namespace
}  // namespace vx86::test
