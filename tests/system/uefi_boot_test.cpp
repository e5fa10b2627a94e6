// UEFI firmware: Debian's OVMF (the edk2 build QEMU users pass with -bios)
// boots on vx86's machines. A FAT disk holds the Debian kernel (whose EFI
// stub makes it a UEFI program), its initramfs and a startup.nsh that the
// UEFI shell runs; OVMF reads them through its own disk drivers (AHCI on
// the q35, the PIIX's IDE on the pc), installs the machine's ACPI tables
// from fw_cfg (the linker/loader script, as OVMF runs it) and starts the
// kernel, whose workload (efi) reports what it got: the firmware, the
// command line, the ACPI tables and the PCI functions. On the q35 all of it
// must equal what the same disk gives under qemu-system-x86_64 -M q35.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

constexpr char kOvmf[] = "/usr/share/ovmf/OVMF.fd";

// Why the test cannot run here, or "".
std::string missing_tools() {
  if (!std::filesystem::exists(kOvmf)) return std::string(kOvmf) + " is missing (Debian's ovmf)";
  if (run_command({"sh", "-c", "command -v mformat && command -v mcopy"}).status != 0) {
    return "mtools is not installed";
  }
  return "";
}

// The FAT disk OVMF boots from: the kernel, the initramfs and startup.nsh.
bool make_efi_disk(const std::filesystem::path& guest, const std::string& image) {
  const std::string nsh = image + ".nsh";
  std::ofstream(nsh, std::ios::binary)
      << "fs0:\r\n\\vmlinuz.efi initrd=\\initrd.gz console=ttyS0 vx86.workload=efi\r\n";
  const CommandResult r =
      run_command({"sh", "-c",
                   "rm -f '" + image + "' && truncate -s 48M '" + image + "' && mformat -i '" +
                       image + "' -F :: && mcopy -i '" + image + "' '" +
                       (guest / "vmlinuz").string() + "' ::/vmlinuz.efi && mcopy -i '" + image +
                       "' '" + (guest / "initramfs.cpio.gz").string() +
                       "' ::/initrd.gz && mcopy -i '" + image + "' '" + nsh + "' ::/startup.nsh"});
  std::filesystem::remove(nsh);
  return r.status == 0;
}

std::vector<std::string> efi_results(std::vector<std::string> emulator, const std::string& disk,
                                     const std::string& tag) {
  const std::string serial =
      ::testing::TempDir() + "/vx86-uefi-" + tag + "-" + std::to_string(getpid()) + ".serial";
  std::filesystem::remove(serial);
  for (const std::string& arg :
       {std::string("-bios"), std::string(kOvmf), std::string("-m"), std::string("256"),
        std::string("-smp"), std::string("1"), std::string("-display"), std::string("none"),
        std::string("-nic"), std::string("none"), std::string("-drive"),
        "if=ide,format=raw,file=" + disk, std::string("-serial"), "file:" + serial,
        std::string("-no-reboot")}) {
    emulator.push_back(arg);
  }
  const CommandResult r = run_command(emulator, 300);
  EXPECT_EQ(r.status, 0) << tag << ": " << r.err;
  const std::string text = file_text(serial);
  std::filesystem::remove(serial);
  std::vector<std::string> results = guest_results(text, "efi ");
  EXPECT_FALSE(results.empty()) << tag << ":\n" << text;
  return results;
}

class UefiBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    guest_ = debian_guest_dir();
    if (!std::filesystem::exists(guest_ / "vmlinuz")) GTEST_SKIP() << "no guest in " << guest_;
    if (!guest_has_workload(guest_, "efi")) {
      GTEST_SKIP() << "the guest has no efi workload (rebuild it with scripts/build-guest.sh)";
    }
    const std::string why_not = missing_tools();
    if (!why_not.empty()) GTEST_SKIP() << why_not << " (scripts/install-deps.sh installs it)";
    disk_ = ::testing::TempDir() + "/vx86-uefi-" + std::to_string(getpid()) + ".img";
    ASSERT_TRUE(make_efi_disk(guest_, disk_));
  }
  void TearDown() override {
    if (!disk_.empty()) std::filesystem::remove(disk_);
  }

  std::filesystem::path guest_;
  std::string disk_;
};

TEST_F(UefiBootTest, OvmfBootsTheDebianKernelOnTheQ35AsUnderQemu) {
  const std::vector<std::string> ours = efi_results({VX86_BINARY, "-M", "q35"}, disk_, "vx86");
  for (const char* want :
       {"vx86-result: efi platform 64", "vx86-result: efi efi: EFI v2.70 by EDK II",
        "vx86-result: efi cmdline \\vmlinuz.efi initrd=\\initrd.gz console=ttyS0 "
        "vx86.workload=efi",
        "vx86-result: efi acpi-tables APIC BGRT DSDT FACP FACS HPET MCFG WAET",
        "vx86-result: efi ACPI: Interpreter enabled"}) {
    EXPECT_NE(std::find(ours.begin(), ours.end(), want), ours.end())
        << want << " in\n"
        << testing::PrintToString(ours);
  }
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  EXPECT_EQ(ours, efi_results({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, disk_, "qemu"));
}

// The pc: OVMF reads the disk through the PIIX's IDE function, with the
// default CD-ROM drive beside it on the other channel.
TEST_F(UefiBootTest, OvmfBootsTheDebianKernelOnThePc) {
  const std::vector<std::string> ours = efi_results({VX86_BINARY, "-M", "pc"}, disk_, "vx86-pc");
  for (const char* want :
       {"vx86-result: efi platform 64", "vx86-result: efi efi: EFI v2.70 by EDK II",
        "vx86-result: efi acpi-tables APIC BGRT DSDT FACP FACS HPET WAET",
        "vx86-result: efi ACPI: Interpreter enabled"}) {
    EXPECT_NE(std::find(ours.begin(), ours.end(), want), ours.end())
        << want << " in\n"
        << testing::PrintToString(ours);
  }
}

// Flash drives, as most UEFI guides give OVMF (-drive if=pflash) and as
// libvirt does (-blockdev nodes, -machine pflash0/pflash1): the code
// read-only as unit 0, a copy of the variable store as unit 1. A variable
// the UEFI shell sets lands in the store's file (in UTF-16, as OVMF writes
// it) and the next boot reads it back, as under QEMU.
TEST(UefiPflashTest, VariablesPersistInTheVarsImage) {
  const std::string code = "/usr/share/OVMF/OVMF_CODE_4M.fd",
                    vars = "/usr/share/OVMF/OVMF_VARS_4M.fd";
  if (!std::filesystem::exists(code) || !std::filesystem::exists(vars)) {
    GTEST_SKIP() << code << " is missing (Debian's ovmf; scripts/install-deps.sh installs it)";
  }
  const std::string why_not = missing_tools();
  if (!why_not.empty()) GTEST_SKIP() << why_not << " (scripts/install-deps.sh installs it)";
  const std::string base = ::testing::TempDir() + "/vx86-pflash-" + std::to_string(getpid());
  const std::string my_vars = base + "-vars.fd", disk = base + ".img", nsh = base + ".nsh",
                    serial = base + ".serial";
  std::filesystem::copy_file(vars, my_vars, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(run_command({"sh", "-c",
                         "rm -f '" + disk + "' && truncate -s 48M '" + disk + "' && mformat -i '" +
                             disk + "' -F ::"})
                .status,
            0);
  const std::string guid = "3c1e3f04-6c1b-4f5e-9d3a-5b7c0a1e2f90";
  // As a user writes it (-drive if=pflash), or as libvirt does (-blockdev
  // nodes named by -machine pflash0= and pflash1=).
  auto boot = [&](const std::string& script, bool libvirt) {
    std::ofstream(nsh, std::ios::binary) << script << "reset -s\r\n";
    EXPECT_EQ(run_command({"mcopy", "-o", "-i", disk, nsh, "::/startup.nsh"}).status, 0);
    std::filesystem::remove(serial);
    std::vector<std::string> argv = {VX86_BINARY,
                                     "-m",
                                     "256",
                                     "-display",
                                     "none",
                                     "-nic",
                                     "none",
                                     "-drive",
                                     "if=virtio,format=raw,file=" + disk,
                                     "-serial",
                                     "file:" + serial};
    const std::vector<std::string> user = {
        "-M",     "q35",
        "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
        "-drive", "if=pflash,format=raw,unit=1,file=" + my_vars};
    const std::vector<std::string> by_libvirt = {
        "-blockdev",
        R"({"driver":"file","filename":")" + code +
            R"(","node-name":"libvirt-pflash0-storage","auto-read-only":true,"discard":"unmap"})",
        "-blockdev",
        R"({"node-name":"libvirt-pflash0-format","read-only":true,"driver":"raw","file":"libvirt-pflash0-storage"})",
        "-blockdev",
        R"({"driver":"file","filename":")" + my_vars +
            R"(","node-name":"libvirt-pflash1-storage","auto-read-only":true,"discard":"unmap"})",
        "-blockdev",
        R"({"node-name":"libvirt-pflash1-format","read-only":false,"driver":"raw","file":"libvirt-pflash1-storage"})",
        "-machine",
        "pc-q35-7.2,usb=off,pflash0=libvirt-pflash0-format,pflash1=libvirt-pflash1-format"};
    const std::vector<std::string>& flash = libvirt ? by_libvirt : user;
    argv.insert(argv.end(), flash.begin(), flash.end());
    const CommandResult r = run_command(argv, 300);
    EXPECT_EQ(r.status, 0) << r.err;
    return file_text(serial);
  };
  boot("setvar VX86TEST -guid " + guid + " -nv -bs -rt =L\"persisted by vx86\"\r\n", false);
  std::string utf16;
  for (char c : std::string("persisted by vx86")) utf16 += std::string{c, '\0'};
  EXPECT_NE(file_text(my_vars).find(utf16), std::string::npos) << "the variable is in the file";
  const std::string second = boot("setvar VX86TEST -guid " + guid + "\r\n", true);
  EXPECT_NE(second.find("VX86TEST - 0022 Bytes"), std::string::npos) << second;
  EXPECT_NE(second.find("70 00 65 00 72 00 73 00 69 00 73 00 74 00 65 00 64 00"), std::string::npos)
      << second;
  for (const std::string& file : {my_vars, disk, nsh, serial}) std::filesystem::remove(file);
}

}  // namespace
}  // namespace vx86::test
