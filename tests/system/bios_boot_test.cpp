// Booting a disk image through firmware, as QEMU users do without -kernel:
// Debian's SeaBIOS (the BIOS QEMU ships) runs on vx86's pc machine, finds
// the IDE disk, loads its boot sector and jumps to it. The boot sector
// (tests/guests/boot/mbr.S) says on COM1 which drive it came from. The same
// disk under qemu-system-x86_64 must say the same.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/debian_iso.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"
#include "tests/system/screen_text.h"
#include "ui/psf_font.h"

namespace vx86::test {
namespace {

const char kSeabios[] = "/usr/share/seabios/bios-256k.bin";

std::string temp_path(const std::string& what) {
  return ::testing::TempDir() + "/vx86-biosboot-" + what + "-" + std::to_string(getpid());
}

// A 4 MiB raw disk whose first sector is the test's boot sector; with a
// label (8 characters), the sector says that instead of "vx86-mbr".
std::string make_raw_disk(const std::string& label = "") {
  const std::string disk = temp_path("disk" + label + ".img");
  std::string sector = file_text(std::string(VX86_GUEST_DIR) + "/mbr.bin");
  EXPECT_EQ(sector.size(), 512u);
  if (!label.empty()) {
    EXPECT_EQ(label.size(), 8u);
    sector.replace(sector.find("vx86-mbr"), 8, label);
  }
  std::ofstream out(disk, std::ios::binary);
  out << sector << std::string((4 << 20) - sector.size(), '\0');
  return disk;
}

struct Boot {
  int status = -1;
  std::string serial;
  std::string firmware_log;  // SeaBIOS's, from port 0x402
  std::string err;
};

// Boots `emulator` (with its accelerator option) from the disk options given,
// stopping it after `seconds` if the boot sector did not end it.
Boot boot(const std::vector<std::string>& emulator, const std::vector<std::string>& disk,
          int seconds = 60) {
  const std::string serial = temp_path("serial"), log = temp_path("seabios.log");
  std::filesystem::remove(serial);
  std::filesystem::remove(log);
  std::vector<std::string> argv = emulator;
  for (const std::string& a :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("128"),
        std::string("-nic"), std::string("none"), std::string("-bios"), std::string(kSeabios),
        std::string("-serial"), "file:" + serial, std::string("-debugcon"), "file:" + log,
        std::string("-global"), std::string("isa-debugcon.iobase=0x402"), std::string("-device"),
        std::string("isa-debug-exit,iobase=0xf4,iosize=1")}) {
    argv.push_back(a);
  }
  argv.insert(argv.end(), disk.begin(), disk.end());
  argv.insert(argv.begin(), "timeout");
  argv.insert(argv.begin() + 1, std::to_string(seconds));
  CommandResult r = run_command(argv);
  Boot b{r.status, file_text(serial), file_text(log), r.err};
  std::filesystem::remove(serial);
  std::filesystem::remove(log);
  return b;
}

bool have_seabios() {
  return std::filesystem::exists(kSeabios);
}

TEST(BiosBootTest, SeabiosBootsTheBootSectorOfARawDisk) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string disk = make_raw_disk();
  Boot b = boot({VX86_BINARY}, {"-hda", disk});
  // isa-debug-exit: status (0 << 1) | 1.
  EXPECT_EQ(b.status, 1) << b.err << "\nSeaBIOS:\n" << b.firmware_log;
  EXPECT_EQ(b.serial, "vx86-mbr: booted by the BIOS from drive 0x80\n") << "SeaBIOS:\n"
                                                                        << b.firmware_log;
  // The memory map from fw_cfg, kept in the BIOS's shadow RAM (PAM).
  EXPECT_NE(b.firmware_log.find("Found QEMU fw_cfg"), std::string::npos) << b.firmware_log;
  EXPECT_NE(b.firmware_log.find("qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 [RAM]"),
            std::string::npos)
      << b.firmware_log;
  EXPECT_NE(b.firmware_log.find("Booting from Hard Disk..."), std::string::npos);
  std::filesystem::remove(disk);
}

// A USB stick: SeaBIOS's own UHCI and mass-storage drivers (not Linux's)
// find the usb-storage device and boot its boot sector, reporting the same
// device as under qemu-system-x86_64.
TEST(BiosBootTest, SeabiosBootsFromAUsbStick) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string disk = make_raw_disk();
  const std::vector<std::string> options = {"-usb", "-drive",
                                            "file=" + disk + ",format=raw,if=none,id=stick",
                                            "-device", "usb-storage,drive=stick"};
  Boot b = boot({VX86_BINARY}, options);
  EXPECT_EQ(b.status, 1) << b.err << "\nSeaBIOS:\n" << b.firmware_log;
  EXPECT_EQ(b.serial, "vx86-mbr: booted by the BIOS from drive 0x80\n") << b.firmware_log;
  auto usb_lines = [](const std::string& log) {
    std::string lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("UHCI init", 0) == 0 || line.rfind("USB MSC", 0) == 0) lines += line + "\n";
    }
    return lines;
  };
  EXPECT_EQ(usb_lines(b.firmware_log),
            "UHCI init on dev 00:01.2 (io=c000)\n"
            "USB MSC vendor='QEMU' product='QEMU HARDDISK' rev='2.5+' type=0 removable=0\n"
            "USB MSC blksize=512 sectors=8192\n")
      << b.firmware_log;
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    Boot q = boot({"qemu-system-x86_64", "-accel", "tcg"}, options);
    EXPECT_EQ(q.serial, b.serial);
    EXPECT_EQ(usb_lines(q.firmware_log), usb_lines(b.firmware_log));
  }
  std::filesystem::remove(disk);
}

// As with QEMU, a pc machine given neither -kernel nor -bios boots SeaBIOS.
TEST(BiosBootTest, SeabiosIsTheDefaultFirmware) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string disk = make_raw_disk(), serial = temp_path("default-serial");
  CommandResult r = run_command({"timeout", "60", VX86_BINARY, "-display", "none", "-nic", "none",
                                 "-serial", "file:" + serial, "-device",
                                 "isa-debug-exit,iobase=0xf4,iosize=1", "-hda", disk});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(file_text(serial), "vx86-mbr: booted by the BIOS from drive 0x80\n");
  std::filesystem::remove(disk);
  std::filesystem::remove(serial);
}

// A CD whose El Torito boot image (no emulation) is the same boot sector.
std::string make_boot_cd() {
  const std::filesystem::path tree = temp_path("cd-tree");
  const std::string iso = temp_path("boot.iso");
  std::filesystem::remove_all(tree);
  std::filesystem::create_directories(tree);
  std::filesystem::copy_file(std::string(VX86_GUEST_DIR) + "/mbr.bin", tree / "mbr.bin");
  CommandResult made =
      run_command({"xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-b", "mbr.bin",
                   "-no-emul-boot", "-boot-load-size", "1", tree.string()});
  EXPECT_EQ(made.status, 0) << made.err;
  std::filesystem::remove_all(tree);
  return iso;
}

// -boot picks between the disk and the CD-ROM as under QEMU (QEMU's order
// "cad" by default: the disk first); the boot sector says which drive
// number the BIOS gave it (0x80: the first disk, 0xe0: SeaBIOS's CD-ROM).
TEST(BiosBootTest, BootOrderPicksTheDiskOrTheCdrom) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  if (run_command({"sh", "-c", "command -v xorriso"}).status != 0) {
    GTEST_SKIP() << "no xorriso (scripts/install-deps.sh installs it)";
  }
  const std::string disk = make_raw_disk(), cd = make_boot_cd();
  const std::vector<std::string> drives = {"-drive", "file=" + disk + ",format=raw,if=ide",
                                           "-cdrom", cd};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), drives.begin(), drives.end());
    return extra;
  };
  const std::string from_disk = "vx86-mbr: booted by the BIOS from drive 0x80\n";
  const std::string from_cd = "vx86-mbr: booted by the BIOS from drive 0xe0\n";
  EXPECT_EQ(boot({VX86_BINARY}, with({})).serial, from_disk);
  EXPECT_EQ(boot({VX86_BINARY}, with({"-boot", "d"})).serial, from_cd);
  EXPECT_EQ(boot({VX86_BINARY}, with({"-boot", "order=dc,menu=off"})).serial, from_cd);
  EXPECT_EQ(boot({VX86_BINARY}, with({"-boot", "order=cd"})).serial, from_disk);
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    EXPECT_EQ(boot({"qemu-system-x86_64", "-accel", "tcg"}, with({"-boot", "d"})).serial, from_cd);
  }
  std::filesystem::remove(disk);
  std::filesystem::remove(cd);
}

// The "boot order:" lines of SeaBIOS's log: what it read from fw_cfg's
// bootorder file.
std::string boot_order_lines(const std::string& log) {
  std::string lines;
  std::istringstream in(log);
  bool in_list = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "boot order:") in_list = true;
    if (!in_list) continue;
    if (line != "boot order:" &&
        (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0])))) {
      break;
    }
    lines += line + "\n";
  }
  return lines;
}

// bootindex= on the disks libvirt writes (-device ide-hd, ide-cd,
// virtio-blk-pci, usb-storage) picks the one SeaBIOS boots, whatever -boot
// says, as under QEMU: the firmware reads the same bootorder file (SeaBIOS's
// log lists the same Open Firmware paths) and the same disk boots.
TEST(BiosBootTest, BootindexPicksTheDiskThatBoots) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  if (run_command({"sh", "-c", "command -v xorriso"}).status != 0) {
    GTEST_SKIP() << "no xorriso (scripts/install-deps.sh installs it)";
  }
  const std::string ide = make_raw_disk("ide-disk"), virtio = make_raw_disk("virtio-b"),
                    usb = make_raw_disk("usb-disk"), blank = temp_path("blank.img"),
                    cd = make_boot_cd();
  std::ofstream(blank) << std::string(1 << 20, '\0');
  auto drives = [&](const std::string& ide_index, const std::string& virtio_index,
                    const std::string& usb_index, const std::string& cd_index) {
    auto bootindex = [](const std::string& index) {
      return index.empty() ? std::string() : ",bootindex=" + index;
    };
    return std::vector<std::string>{"-drive",
                                    "if=none,id=i,format=raw,file=" + ide,
                                    "-drive",
                                    "if=none,id=v,format=raw,file=" + virtio,
                                    "-drive",
                                    "if=none,id=u,format=raw,file=" + usb,
                                    "-drive",
                                    "if=none,id=c,format=raw,media=cdrom,file=" + cd,
                                    "-usb",
                                    "-device",
                                    "ide-hd,drive=i,bus=ide.0,unit=0" + bootindex(ide_index),
                                    "-device",
                                    "virtio-blk-pci,drive=v" + bootindex(virtio_index),
                                    "-device",
                                    "usb-storage,drive=u" + bootindex(usb_index),
                                    "-device",
                                    "ide-cd,drive=c" + bootindex(cd_index)};
  };
  const bool have_qemu = run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0;
  struct Case {
    std::vector<std::string> options;
    std::string serial;
    std::string order;
  };
  const std::vector<Case> cases = {
      {drives("", "", "", ""), "ide-disk: booted by the BIOS from drive 0x80\n", ""},
      {drives("2", "1", "", ""), "virtio-b: booted by the BIOS from drive 0x80\n",
       "boot order:\n1: /pci@i0cf8/scsi@3/disk@0,0\n2: /pci@i0cf8/ide@1,1/drive@0/disk@0\n"},
      {drives("3", "2", "1", ""), "usb-disk: booted by the BIOS from drive 0x80\n",
       "boot order:\n1: /pci@i0cf8/usb@1,2/storage@1/channel@0/disk@0,0\n"
       "2: /pci@i0cf8/scsi@3/disk@0,0\n3: /pci@i0cf8/ide@1,1/drive@0/disk@0\n"},
      {drives("", "9", "", "4"), "vx86-mbr: booted by the BIOS from drive 0xe0\n",
       "boot order:\n1: /pci@i0cf8/ide@1,1/drive@1/disk@0\n2: /pci@i0cf8/scsi@3/disk@0,0\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.options));
    Boot b = boot({VX86_BINARY}, c.options);
    EXPECT_EQ(b.status, 1) << b.err << "\nSeaBIOS:\n" << b.firmware_log;
    EXPECT_EQ(b.serial, c.serial) << b.firmware_log;
    EXPECT_EQ(boot_order_lines(b.firmware_log), c.order) << b.firmware_log;
    if (have_qemu) {
      Boot q = boot({"qemu-system-x86_64", "-accel", "tcg"}, c.options);
      EXPECT_EQ(q.serial, b.serial);
      EXPECT_EQ(boot_order_lines(q.firmware_log), boot_order_lines(b.firmware_log));
    }
  }
  // strict=on: only the listed devices are tried. The listed disk is blank,
  // so nothing boots (and SeaBIOS, told not to retry, says so and waits).
  const std::vector<std::string> strict = {"-drive",  "if=none,id=i,format=raw,file=" + ide,
                                           "-drive",  "if=none,id=b,format=raw,file=" + blank,
                                           "-device", "ide-hd,drive=i,bus=ide.0,unit=0",
                                           "-device", "virtio-blk-pci,drive=b,bootindex=1",
                                           "-boot",   "strict=on"};
  for (const std::string& emulator :
       {std::string(VX86_BINARY), std::string("qemu-system-x86_64")}) {
    if (emulator != VX86_BINARY && !have_qemu) continue;
    SCOPED_TRACE(emulator);
    Boot b = boot({emulator}, strict, 8);
    EXPECT_EQ(b.serial, "");
    EXPECT_EQ(boot_order_lines(b.firmware_log),
              "boot order:\n1: /pci@i0cf8/scsi@3/disk@0,0\n2: HALT\n");
    EXPECT_NE(b.firmware_log.find("No bootable device.\n"), std::string::npos) << b.firmware_log;
    EXPECT_EQ(b.firmware_log.find("Retrying"), std::string::npos) << b.firmware_log;
  }
  for (const std::string& file : {ide, virtio, usb, blank, cd}) std::filesystem::remove(file);
}

// The q35 machine under SeaBIOS: it finds the Q35 chipset, puts the ECAM
// window where QEMU's does, and boots a virtio disk's boot sector before an
// AHCI disk's (bootindex); the boot order paths and what SeaBIOS says of the
// chipset equal qemu-system-x86_64's.
TEST(BiosBootTest, SeabiosBootsAVirtioDiskOnQ35AsUnderQemu) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string disk = make_raw_disk(), sata = make_raw_disk("sata-dsk");
  const std::vector<std::string> options = {"-drive",  "if=none,id=v,format=raw,file=" + disk,
                                            "-device", "virtio-blk-pci,drive=v,bootindex=1",
                                            "-drive",  "if=none,id=a,format=raw,file=" + sata,
                                            "-device", "ide-hd,drive=a,bus=ide.1,bootindex=2"};
  auto chipset_lines = [](const std::string& log) {
    std::string lines;
    for (const char* want : {"Running on QEMU (q35)", "PCIe: using q35 mmconfig at 0xb0000000",
                             "Q35 LPC init: elcr=00 0c"}) {
      if (log.find(want) != std::string::npos) lines += std::string(want) + "\n";
    }
    return lines;
  };
  Boot b = boot({VX86_BINARY, "-M", "q35"}, options);
  EXPECT_EQ(b.status, 1) << b.err << "\nSeaBIOS:\n" << b.firmware_log;
  EXPECT_EQ(b.serial, "vx86-mbr: booted by the BIOS from drive 0x80\n") << b.firmware_log;
  EXPECT_EQ(chipset_lines(b.firmware_log),
            "Running on QEMU (q35)\nPCIe: using q35 mmconfig at 0xb0000000\n"
            "Q35 LPC init: elcr=00 0c\n")
      << b.firmware_log;
  EXPECT_EQ(boot_order_lines(b.firmware_log),
            "boot order:\n1: /pci@i0cf8/scsi@2/disk@0,0\n"
            "2: /pci@i0cf8/pci8086,2922@1f,2/drive@1/disk@0\n")
      << b.firmware_log;
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    Boot q = boot({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, options);
    EXPECT_EQ(q.serial, b.serial);
    EXPECT_EQ(chipset_lines(q.firmware_log), chipset_lines(b.firmware_log));
    EXPECT_EQ(boot_order_lines(q.firmware_log), boot_order_lines(b.firmware_log));
  }
  std::filesystem::remove(disk);
  std::filesystem::remove(sata);
}

// libvirt's q35 layout under SeaBIOS: the boot disk is a virtio-blk-pci
// behind a PCI Express root port (modern-only there), a NIC behind another.
// SeaBIOS numbers the buses, opens the ports' windows, finds the disk
// through them and boots it; the boot order path (through the port) is
// QEMU's.
TEST(BiosBootTest, SeabiosBootsAVirtioDiskBehindARootPortAsUnderQemu) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string disk = make_raw_disk();
  const std::vector<std::string> options = {
      "-device", "pcie-root-port,port=16,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,addr=0x2",
      "-device", "pcie-root-port,port=17,chassis=2,id=pci.2,bus=pcie.0,addr=0x2.0x1",
      "-drive",  "if=none,id=v,format=raw,file=" + disk,
      "-device", "virtio-blk-pci,drive=v,bus=pci.2,addr=0x0,bootindex=1",
      "-netdev", "user,id=n0",
      "-device", "virtio-net-pci,netdev=n0,bus=pci.1,addr=0x0,bootindex=2"};
  Boot b = boot({VX86_BINARY, "-M", "q35"}, options);
  EXPECT_EQ(b.status, 1) << b.err << "\nSeaBIOS:\n" << b.firmware_log;
  EXPECT_EQ(b.serial, "vx86-mbr: booted by the BIOS from drive 0x80\n") << b.firmware_log;
  EXPECT_EQ(boot_order_lines(b.firmware_log),
            "boot order:\n1: /pci@i0cf8/pci-bridge@2,1/scsi@0/disk@0,0\n"
            "2: /pci@i0cf8/pci-bridge@2/ethernet@0/ethernet-phy@0\n")
      << b.firmware_log;
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    Boot q = boot({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, options);
    EXPECT_EQ(q.serial, b.serial);
    EXPECT_EQ(boot_order_lines(q.firmware_log), boot_order_lines(b.firmware_log));
  }
  std::filesystem::remove(disk);
}

// An AHCI disk alone on the q35: SeaBIOS's own AHCI driver reads the boot
// sector (DMA through the command list), as under QEMU.
TEST(BiosBootTest, SeabiosBootsAnAhciDiskOnQ35) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string disk = make_raw_disk();
  Boot b = boot({VX86_BINARY, "-M", "q35"}, {"-hda", disk});
  EXPECT_EQ(b.status, 1) << b.err << "\nSeaBIOS:\n" << b.firmware_log;
  EXPECT_EQ(b.serial, "vx86-mbr: booted by the BIOS from drive 0x80\n") << b.firmware_log;
  EXPECT_NE(b.firmware_log.find("AHCI/0: registering: \"AHCI/0: VX86 HARDDISK ATA-7 Hard-Disk"),
            std::string::npos)
      << b.firmware_log;
  std::filesystem::remove(disk);
}

// -boot once=d: the first boot is from the CD; after a reset (QMP
// system_reset) the normal order boots the disk again, as under QEMU.
TEST(BiosBootTest, BootOnceAppliesToTheFirstBootOnly) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  if (run_command({"sh", "-c", "command -v xorriso"}).status != 0) {
    GTEST_SKIP() << "no xorriso (scripts/install-deps.sh installs it)";
  }
  const std::string disk = make_raw_disk(), cd = make_boot_cd();
  auto boot_twice = [&](const std::string& emulator) {
    const std::string serial = temp_path("once-serial"), sock = temp_path("once.sock");
    std::filesystem::remove(serial);
    // No isa-debug-exit: the boot sector halts after its line.
    Process process({emulator, "-display", "none", "-m", "128", "-nic", "none", "-serial",
                     "file:" + serial, "-drive", "file=" + disk + ",format=raw,if=ide", "-cdrom",
                     cd, "-boot", "order=c,once=d", "-qmp",
                     "unix:" + sock + ",server=on,wait=off"});
    QmpClient qmp;
    if (!qmp.connect_unix(sock)) return std::string("no QMP");
    qmp.next();
    qmp.execute("qmp_capabilities");
    auto wait_for_lines = [&](std::size_t lines) {
      for (int i = 0; i < 300; ++i) {
        const std::string text = file_text(serial);
        if (static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= lines) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    };
    wait_for_lines(1);
    qmp.execute("system_reset");
    wait_for_lines(2);
    qmp.execute("quit");
    process.wait(std::chrono::seconds(10));
    const std::string text = file_text(serial);
    std::filesystem::remove(serial);
    return text;
  };
  const std::string expected =
      "vx86-mbr: booted by the BIOS from drive 0xe0\n"
      "vx86-mbr: booted by the BIOS from drive 0x80\n";
  EXPECT_EQ(boot_twice(VX86_BINARY), expected);
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    EXPECT_EQ(boot_twice("qemu-system-x86_64"), expected);
  }
  std::filesystem::remove(disk);
  std::filesystem::remove(cd);
}

TEST(BiosBootTest, SeabiosBootsAQcow2ImageOnIde) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string raw = make_raw_disk(), qcow2 = temp_path("disk.qcow2");
  CommandResult convert =
      run_command({VX86_IMG_BINARY, "convert", "-f", "raw", "-O", "qcow2", raw, qcow2});
  ASSERT_EQ(convert.status, 0) << convert.err;
  Boot b = boot({VX86_BINARY}, {"-drive", "file=" + qcow2 + ",format=qcow2,if=ide"});
  EXPECT_EQ(b.status, 1) << b.err << "\nSeaBIOS:\n" << b.firmware_log;
  EXPECT_EQ(b.serial, "vx86-mbr: booted by the BIOS from drive 0x80\n");
  std::filesystem::remove(raw);
  std::filesystem::remove(qcow2);
}

TEST(BiosBootTest, TheBootSectorSaysWhatItSaysUnderQemu) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  }
  const std::string disk = make_raw_disk();
  const std::vector<std::string> drive = {"-drive", "file=" + disk + ",format=raw,if=ide"};
  Boot ours = boot({VX86_BINARY}, drive);
  Boot theirs = boot({"qemu-system-x86_64", "-accel", "tcg"}, drive);
  EXPECT_EQ(theirs.status, 1) << theirs.err;
  EXPECT_EQ(ours.status, theirs.status);
  EXPECT_EQ(ours.serial, theirs.serial);
  // SeaBIOS's own account agrees where vx86 gives it the same facts: fw_cfg
  // with DMA, the memory map, the CPU count, the boot device and address.
  for (const char* line : {"SeaBIOS (version", "Running on QEMU (i440fx)", "Found QEMU fw_cfg",
                           "QEMU fw_cfg DMA interface supported",
                           "qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 [RAM]",
                           "Found 1 cpu(s) max supported 1 cpu(s)", "Booting from Hard Disk...",
                           "Booting from 0000:7c00"}) {
    EXPECT_NE(theirs.firmware_log.find(line), std::string::npos) << line;
    EXPECT_NE(ours.firmware_log.find(line), std::string::npos) << line;
  }
  std::filesystem::remove(disk);
}

// The screen once the boot sector runs: SeaBIOS's banner and boot messages,
// drawn by SeaBIOS's VGA BIOS (the std VGA's option ROM) in its own font.
std::optional<Ppm> screen_after_boot(const std::vector<std::string>& emulator,
                                     const std::string& disk) {
  const std::string base = temp_path("screen-" + emulator[0].substr(emulator[0].rfind('/') + 1));
  const std::string sock = base + ".sock", serial = base + ".serial", picture = base + ".ppm";
  std::filesystem::remove(sock);
  std::filesystem::remove(serial);
  std::vector<std::string> argv = emulator;
  // No isa-debug-exit: the boot sector halts after its line.
  for (const std::string& a :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("128"),
        std::string("-nic"), std::string("none"), std::string("-bios"), std::string(kSeabios),
        std::string("-serial"), "file:" + serial, std::string("-drive"),
        "file=" + disk + ",format=raw,if=ide", std::string("-qmp"),
        "unix:" + sock + ",server=on,wait=off"}) {
    argv.push_back(a);
  }
  Process process(argv);
  QmpClient qmp;
  if (!qmp.connect_unix(sock)) return std::nullopt;
  qmp.next();
  qmp.execute("qmp_capabilities");
  for (int i = 0; i < 300 && file_text(serial).find("vx86-mbr") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  qmp.execute("screendump", {{"filename", picture}});
  qmp.execute("quit");
  process.wait(std::chrono::seconds(10));
  auto ppm = read_ppm(picture);
  for (const std::string& path : {serial, picture}) std::filesystem::remove(path);
  return ppm;
}

// Whether `text` (read with the console font, '?' where a glyph of the
// BIOS's font differs from it) holds `expected`.
bool reads(const std::string& text, const std::string& expected) {
  for (std::size_t at = 0; at + expected.size() <= text.size(); ++at) {
    std::size_t i = 0;
    while (i < expected.size() && (text[at + i] == expected[i] || text[at + i] == '?')) ++i;
    if (i == expected.size()) return true;
  }
  return false;
}

TEST(BiosBootTest, TheScreenShowsWhatQemuShows) {
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  std::string error;
  const PsfFont* font = default_console_font(&error);
  ASSERT_NE(font, nullptr) << error;
  const std::string disk = make_raw_disk();
  const std::optional<Ppm> ours = screen_after_boot({VX86_BINARY}, disk);
  ASSERT_TRUE(ours) << "no screendump";
  const std::string text = read_text(*ours, *font);
  EXPECT_TRUE(reads(text, "SeaBIOS (version")) << text;
  EXPECT_TRUE(reads(text, "Booting from Hard Disk...")) << text;
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    // The same picture, pixel for pixel (both draw with the VGA BIOS's font
    // from plane 2), but for the cursor's cell: QEMU blinks the cursor.
    const std::optional<Ppm> theirs =
        screen_after_boot({"qemu-system-x86_64", "-accel", "tcg"}, disk);
    ASSERT_TRUE(theirs) << "no screendump from QEMU";
    ASSERT_EQ(ours->width, theirs->width);
    ASSERT_EQ(ours->height, theirs->height);
    std::set<std::pair<int, int>> cells;  // (column, row) of 9x16 cells that differ
    for (int y = 0; y < ours->height; ++y) {
      for (int x = 0; x < ours->width; ++x) {
        const std::size_t at = static_cast<std::size_t>(y * ours->width + x) * 3;
        if (!std::equal(&ours->rgb[at], &ours->rgb[at] + 3, &theirs->rgb[at])) {
          cells.insert({x / 9, y / 16});
        }
      }
    }
    EXPECT_LE(cells.size(), 1u) << "the screens differ in " << cells.size() << " cells:\nvx86:\n"
                                << text << "\nqemu:\n"
                                << read_text(*theirs, *font);
  }
  std::filesystem::remove(disk);
}

// An ISO as Debian's installer images boot: SeaBIOS boots the CD-ROM
// (El Torito, no emulation), ISOLINUX loads the Debian kernel and initramfs
// through the BIOS, and Linux starts from its real-mode entry. Returns the
// serial output once the guest's shell is up (or the emulator ended).
std::string boot_iso(const std::vector<std::string>& emulator, const std::string& iso) {
  const std::string serial =
      temp_path("iso-serial-" + emulator[0].substr(emulator[0].rfind('/') + 1));
  std::filesystem::remove(serial);
  std::vector<std::string> argv = emulator;
  for (const std::string& a :
       {std::string("-display"), std::string("none"), std::string("-m"), std::string("256"),
        std::string("-nic"), std::string("none"), std::string("-serial"), "file:" + serial,
        std::string("-cdrom"), iso}) {
    argv.push_back(a);
  }
  Process process(argv);
  std::string text;
  for (int i = 0; i < 1200 && text.find("vx86-init: shell") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    text = file_text(serial);
  }
  std::filesystem::remove(serial);
  return text;
}

TEST(BiosBootTest, TheDebianGuestBootsFromAnIsoThroughIsolinux) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string iso = temp_path("debian.iso");
  const std::string why_not = make_debian_iso(guest, "console=ttyS0", iso);
  if (!why_not.empty()) GTEST_SKIP() << why_not;

  const std::string ours = boot_iso({VX86_BINARY}, iso);
  EXPECT_NE(ours.find("ISOLINUX 6."), std::string::npos) << ours;
  EXPECT_NE(ours.find("Loading /vmlinuz... ok"), std::string::npos) << ours;
  EXPECT_NE(ours.find("Loading /initramfs.cpio.gz...ok"), std::string::npos) << ours;
  EXPECT_NE(ours.find("Linux version"), std::string::npos) << ours;
  EXPECT_NE(ours.find("vx86-init: shell"), std::string::npos) << ours;
  // ACPI from fw_cfg's table loader: the RSDP where SeaBIOS put it in the F
  // segment, and the PS/2 controller found through the DSDT, as under QEMU.
  EXPECT_NE(ours.find("ACPI: RSDP 0x00000000000F"), std::string::npos) << ours;
  const std::string i8042 = "i8042: PNP: PS/2 Controller [PNP0303:KBD,PNP0f13:MOU] at 0x60,0x64";
  EXPECT_NE(ours.find(i8042), std::string::npos) << ours;
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    // The bootloader's lines are the same under QEMU.
    const std::string theirs = boot_iso({"qemu-system-x86_64", "-accel", "tcg"}, iso);
    auto head = [](const std::string& text) { return text.substr(0, text.find("[    0.")); };
    EXPECT_NE(theirs.find("vx86-init: shell"), std::string::npos) << theirs;
    EXPECT_NE(theirs.find(i8042), std::string::npos) << theirs;
    EXPECT_EQ(head(ours), head(theirs));
  }
  std::filesystem::remove(iso);
}

// The same ISO on the q35: SeaBIOS boots it from the AHCI controller's port
// 2 (where -cdrom goes, as on QEMU's q35) and Linux's ahci driver finds the
// CD-ROM there again.
TEST(BiosBootTest, TheDebianGuestBootsFromAnIsoOnTheQ35sAhci) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  if (!have_seabios()) GTEST_SKIP() << kSeabios << " is missing (Debian's seabios)";
  const std::string iso = temp_path("debian-q35.iso");
  const std::string why_not = make_debian_iso(guest, "console=ttyS0", iso);
  if (!why_not.empty()) GTEST_SKIP() << why_not;

  const std::string ours = boot_iso({VX86_BINARY, "-M", "q35"}, iso);
  for (const char* want :
       {"ISOLINUX 6.", "Loading /vmlinuz... ok", "Loading /initramfs.cpio.gz...ok",
        "PCI: MMCONFIG at [mem 0xb0000000-0xbfffffff] reserved",
        "ahci 0000:00:1f.2: AHCI 0001.0000 32 slots 6 ports 1.5 Gbps 0x3f impl SATA mode",
        "ata3: SATA link up 1.5 Gbps (SStatus 113 SControl 300)", "ata1: SATA link down",
        "sr 2:0:0:0: [sr0] scsi3-mmc drive", "vx86-init: shell"}) {
    EXPECT_NE(ours.find(want), std::string::npos) << want << " in\n" << ours;
  }
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    const std::string theirs = boot_iso({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, iso);
    auto head = [](const std::string& text) { return text.substr(0, text.find("[    0.")); };
    EXPECT_NE(theirs.find("vx86-init: shell"), std::string::npos) << theirs;
    EXPECT_NE(theirs.find("ata3: SATA link up 1.5 Gbps"), std::string::npos) << theirs;
    EXPECT_EQ(head(ours), head(theirs));
  }
  std::filesystem::remove(iso);
}

}  // namespace
}  // namespace vx86::test
