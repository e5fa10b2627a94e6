// The command line as a user meets it: QEMU's spelling, one-line errors
// naming the option, exit status 1 for every bad input.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

CommandResult vx86(std::vector<std::string> args) {
  args.insert(args.begin(), VX86_BINARY);
  return run_command(args);
}

std::string hello_guest() {
  return std::string(VX86_GUEST_DIR) + "/hello.bin";
}

// Exit 1 with exactly one line on stderr that contains `expected`.
void expect_one_line_error(const CommandResult& r, const std::string& expected) {
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
}

TEST(CliTest, UnknownOptionNamesIt) {
  expect_one_line_error(vx86({"-frobnicate"}), "-frobnicate: invalid option");
  expect_one_line_error(vx86({"--frobnicate"}), "--frobnicate: invalid option");
}

TEST(CliTest, MissingArgumentNamesOption) {
  expect_one_line_error(vx86({"-m"}), "-m: requires an argument");
}

TEST(CliTest, BadValuesNameOption) {
  expect_one_line_error(vx86({"-m", "lots"}), "-m: invalid RAM size 'lots'");
  expect_one_line_error(vx86({"-smp", "0"}), "-smp");
  expect_one_line_error(vx86({"-d", "in_asm,bogus"}), "-d: unknown log item 'bogus'");
  expect_one_line_error(vx86({"-dfilter", "0x2000..0x1000"}),
                        "-dfilter: bad range '0x2000..0x1000'");
  expect_one_line_error(vx86({"-accel", "tcg,bogus=1"}), "-accel: invalid parameter 'bogus'");
  expect_one_line_error(vx86({"-drive", "file=x.img,if"}), "-drive");
  expect_one_line_error(vx86({"-display", "gtk"}), "-display: unknown display type 'gtk'");
  expect_one_line_error(vx86({"-global", "nodot"}), "-global");
  expect_one_line_error(vx86({"-chardev", "null"}), "-chardev: parameter 'id' is missing");
}

TEST(CliTest, HelpAndVersionExitZero) {
  auto help = vx86({"-help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("usage: vx86"), std::string::npos);
  EXPECT_NE(help.out.find("-serial"), std::string::npos);
  auto version = vx86({"-version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_NE(version.out.find("vx86 version"), std::string::npos);
}

TEST(CliTest, ListsForHelpValues) {
  auto log = vx86({"-d", "help"});
  EXPECT_EQ(log.status, 0);
  for (const char* item : {"in_asm", "out_asm", "op", "op_opt", "exec", "int", "cpu", "mmu",
                           "unimp", "guest_errors"}) {
    EXPECT_NE(log.out.find(item), std::string::npos) << item;
  }
  auto machines = vx86({"-M", "help"});
  EXPECT_EQ(machines.status, 0);
  EXPECT_NE(machines.out.find("pc "), std::string::npos);
  auto devices = vx86({"-device", "help"});
  EXPECT_EQ(devices.status, 0);
  EXPECT_NE(devices.out.find("isa-debug-exit"), std::string::npos);
  EXPECT_NE(devices.out.find("isa-serial"), std::string::npos);
  auto props = vx86({"-device", "isa-debug-exit,help"});
  EXPECT_EQ(props.status, 0);
  EXPECT_NE(props.out.find("iobase"), std::string::npos);
  EXPECT_NE(props.out.find("iosize"), std::string::npos);
  auto accels = vx86({"-accel", "help"});
  EXPECT_EQ(accels.status, 0);
  EXPECT_NE(accels.out.find("tcg"), std::string::npos);
  expect_one_line_error(vx86({"-device", "no-such-device,help"}), "no-such-device");
}

TEST(CliTest, DeviceOptionsCheckedAgainstProperties) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-device", "isa-debug-exit,bogus=1"}),
                        "-device isa-debug-exit: invalid parameter 'bogus'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-device", "isa-debug-exit,iosize=3"}),
                        "iosize");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-device", "nonesuch"}),
                        "-device nonesuch: unknown device type");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-device", "isa-debugcon,chardev=nope"}),
                        "-device isa-debugcon: chardev 'nope' not found");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-debugcon", "null", "-debugcon", "null"}),
                        "port 0xe9 is taken by another device");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-global", "isa-debug-exit.bogus=1",
                              "-device", "isa-debug-exit"}),
                        "invalid parameter 'bogus'");
  const std::string disk =
      (std::filesystem::temp_directory_path() / "vx86-cli-vectors.img").string();
  std::ofstream(disk) << std::string(1 << 16, '\0');
  expect_one_line_error(
      vx86({"-bios", hello_guest(), "-drive", "file=" + disk + ",format=raw,if=none,id=d0",
            "-device", "virtio-blk-pci,drive=d0,vectors=4096"}),
      "-device virtio-blk-pci: parameter 'vectors' must be at most 2048");
  std::filesystem::remove(disk);
}

TEST(CliTest, KernelProblemsAreExplained) {
  expect_one_line_error(vx86({"-kernel", "/nonexistent/vmlinuz", "-display", "none"}),
                        "-kernel /nonexistent/vmlinuz: cannot open file");
  std::string path = ::testing::TempDir() + "/not-a-kernel.bin";
  std::ofstream(path) << std::string(4096, 'x');
  expect_one_line_error(vx86({"-kernel", path, "-display", "none"}),
                        "-kernel " + path + ": not a Linux bzImage");
  std::remove(path.c_str());
  expect_one_line_error(vx86({"-kernel", ::testing::TempDir(), "-display", "none"}),
                        ": is a directory");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-initrd", "x.img"}),
                        "-initrd: only allowed with -kernel");
}

TEST(CliTest, BadGdbAddressesAreExplained) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-gdb", "tcp:localhost"}),
                        "-gdb: 'tcp:localhost' needs tcp:[HOST]:PORT");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-gdb", "bogus"}),
                        "-gdb: unknown character device 'bogus'");
}

TEST(CliTest, LaterFeaturesRefusedAsNotAvailableYet) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-cpu", "qemu64,+avx"}),
                        "-cpu: CPU features ('+avx') are not available yet");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-vga", "cirrus"}),
                        "-vga cirrus: only std (text mode) and none are available yet");
}

TEST(CliTest, CpuPropertiesAreChecked) {
  expect_one_line_error(
      vx86({"-bios", hello_guest(), "-cpu", "qemu64,tsc-frequency=fast"}),
      "-cpu: tsc-frequency expects a rate in Hz from 1 MHz to 100 GHz, not 'fast'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-cpu", "qemu64,tsc-frequency=1000"}),
                        "not '1000'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-cpu", "qemu64,+x2apic"}),
                        "-cpu: CPU features ('+x2apic') are not available yet");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-cpu", "nonesuch,tsc-frequency=2000000000"}),
                        "-cpu nonesuch: unknown CPU model");
}

TEST(CliTest, NetworkOptionsAreChecked) {
  auto types = vx86({"-netdev", "help"});
  EXPECT_EQ(types.status, 0);
  EXPECT_NE(types.out.find("user"), std::string::npos);
  auto models = vx86({"-nic", "model=help"});
  EXPECT_EQ(models.status, 0);
  EXPECT_NE(models.out.find("virtio-net-pci"), std::string::npos);
  EXPECT_NE(models.out.find("e1000"), std::string::npos);
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "user"}),
                        "-netdev user: parameter 'id' is missing");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "socket,id=n0,listen=:1234"}),
                        "-netdev socket: network backend 'socket' is not available yet");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "tap,id=n0,vhost=on"}),
                        "-netdev tap,id=n0: parameter 'vhost' is not available yet");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "tap,id=n0,fd=999"}),
                        "-netdev tap,id=n0: file descriptor 999 is not a TAP device");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "tap,id=n0,hostfwd=tcp::1-:2"}),
                        "-netdev tap: invalid parameter 'hostfwd'");
  expect_one_line_error(vx86({"-bios", bios, "-nic", "tap,ifname=x,hostfwd=tcp::1-:2"}),
                        "-nic tap: invalid parameter 'hostfwd'");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "carrier-pigeon,id=n0"}),
                        "-netdev carrier-pigeon: unknown network backend type");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "user,id=n0,colour=blue"}),
                        "-netdev user: invalid parameter 'colour'");
  expect_one_line_error(vx86({"-bios", bios, "-nic", "user,hostfwd=tcp::22"}),
                        "invalid host forwarding rule 'tcp::22'");
  expect_one_line_error(vx86({"-bios", bios, "-nic", "user,model=rtl8139"}),
                        "-nic: NIC model 'rtl8139' is not available yet");
  expect_one_line_error(vx86({"-bios", bios, "-device", "e1000,addr=40"}),
                        "-device e1000: parameter 'addr'");
  expect_one_line_error(vx86({"-bios", bios, "-nic", "user,net=10.0.2.0/40"}),
                        "parameter 'net' expects a prefix length from 1 to 30");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "user,id=n0", "-netdev", "user,id=n0"}),
                        "-netdev: duplicate netdev id 'n0'");
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtio-net-pci,netdev=n1"}),
                        "-device virtio-net-pci: netdev 'n1' not found");
  expect_one_line_error(vx86({"-bios", bios, "-netdev", "user,id=n0", "-device",
                              "virtio-net-pci,netdev=n0", "-device", "virtio-net-pci,netdev=n0"}),
                        "netdev 'n0' is already used by virtio-net-pci");
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtio-net-pci,mac=52:54:00:12:34"}),
                        "parameter 'mac' expects a MAC address like 52:54:00:12:34:56");
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtio-net-pci,mac=01:00:5e:00:00:01"}),
                        "is a multicast address");
  expect_one_line_error(vx86({"-bios", bios, "-net", "nic,hostfwd=tcp::2222-:22"}),
                        "-net nic: network backend parameters belong to -net user or -net tap");
}

TEST(CliTest, DisplayProblemsAreExplained) {
  // No X server to open a window on.
  const char* display = std::getenv("DISPLAY");
  const std::string saved = display ? display : "";
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-display", "sdl"}),
                        "-display sdl: cannot open a window");
  if (display) setenv("DISPLAY", saved.c_str(), 1);
  expect_one_line_error(vx86({"-bios", hello_guest(), "-display", "sdl", "-vga", "none"}),
                        "-display sdl: there is nothing to show with -vga none");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-display", "gtk"}),
                        "-display: unknown display type 'gtk'");
}

TEST(CliTest, QmpProblemsAreExplained) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-qmp", "tcp:127.0.0.1:1"}),
                        "could not connect to tcp:127.0.0.1:1");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-mon", "chardev=nope,mode=control"}),
                        "-mon: no chardev with id 'nope'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-mon", "mode=control"}),
                        "-mon: parameter 'chardev' is missing");
  expect_one_line_error(
      vx86({"-bios", hello_guest(), "-chardev", "null,id=x", "-mon", "x,mode=bogus"}),
      "-mon: parameter 'mode' expects readline or control, not 'bogus'");
}

TEST(CliTest, DriveProblemsAreExplained) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-hda", "/nonexistent/x.img"}),
                        "-hda file=/nonexistent/x.img: Could not open '/nonexistent/x.img'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-drive", "file=x.img,if=scsi"}),
                        "parameter 'if'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-drive", "file=x.img,if=ide,index=4"}),
                        "parameter 'index'");
}

TEST(CliTest, MoreIdeDisksAsQemuSpellsThem) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-hdb", "/nonexistent/x.img"}),
                        "-hdb file=/nonexistent/x.img: Could not open '/nonexistent/x.img'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-hdd", "/nonexistent/y.img"}),
                        "-hdd file=/nonexistent/y.img: Could not open");
  // -hdc is the secondary master, where -cdrom goes too.
  const std::string disk = ::testing::TempDir() + "/cli-hdc.img";
  std::ofstream(disk) << std::string(512 * 8, '\0');
  expect_one_line_error(vx86({"-bios", hello_guest(), "-hdc", disk, "-cdrom", disk}),
                        "IDE bus 1 unit 0 is used by another drive");
  std::remove(disk.c_str());
}

TEST(CliTest, PidFileHoldsTheProcessIdWhileItRuns) {
  const std::string path = ::testing::TempDir() + "/cli-vx86.pid";
  std::remove(path.c_str());
  Process running({VX86_BINARY, "-display", "none", "-bios",
                   std::string(VX86_GUEST_DIR) + "/spin.bin", "-pidfile", path});
  std::string pid;
  for (int i = 0; i < 200 && pid.empty(); ++i) {
    std::ifstream(path) >> pid;
    if (pid.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(pid.empty()) << "no PID in " << path;
  std::string command;
  std::getline(std::ifstream("/proc/" + pid + "/cmdline"), command, '\0');
  EXPECT_EQ(std::filesystem::path(command).filename(), "vx86");
  // A second vx86 with the same file refuses to start.
  expect_one_line_error(vx86({"-bios", hello_guest(), "-pidfile", path}),
                        "-pidfile " + path + ": cannot lock PID file");
  // Ended by a signal, vx86 removes the file.
  kill(std::stoi(pid), SIGTERM);
  EXPECT_EQ(running.wait(std::chrono::seconds(10)), 0);
  EXPECT_FALSE(std::filesystem::exists(path));
  expect_one_line_error(vx86({"-bios", hello_guest(), "-pidfile", "/nonexistent/vx86.pid"}),
                        "-pidfile /nonexistent/vx86.pid: cannot create PID file");
}

TEST(CliTest, RandomNumberSourcesAreChecked) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-object", "memory-backend-file,id=m"}),
                        "-object memory-backend-file: this object type is not available yet");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-object", "rng-random,filename=/x"}),
                        "-object rng-random: parameter 'id' is missing");
  expect_one_line_error(
      vx86({"-bios", hello_guest(), "-object", "rng-random,id=r,filename=/nonexistent/rng",
            "-device", "virtio-rng-pci,rng=r"}),
      "Could not open '/nonexistent/rng'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-device", "virtio-rng-pci,rng=nothere"}),
                        "-device virtio-rng-pci: parameter 'rng': no -object with id 'nothere'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-object", "rng-builtin,id=r", "-device",
                              "virtio-rng-pci,rng=r,max-bytes=1024"}),
                        "max-bytes");
}

TEST(CliTest, RtcOptionsAreChecked) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-rtc", "base=yesterday"}),
                        "-rtc: parameter 'base' expects utc, localtime or a date");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-rtc", "base=2006-13-01"}),
                        "-rtc: parameter 'base' expects");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-rtc", "clock=sundial"}),
                        "-rtc: parameter 'clock' expects host, rt or vm, not 'sundial'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-rtc", "driftfix=warp"}),
                        "-rtc: parameter 'driftfix' expects none or slew, not 'warp'");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-rtc", "speed=2"}), "speed");
}

TEST(CliTest, UsbDevicesNeedABusWithAFreePort) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-device", "usb-tablet"}),
                        "-device usb-tablet: no USB bus (add -usb, or -device piix3-usb-uhci)");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-usb", "-device", "usb-kbd,bus=usb.0"}),
                        "-device usb-kbd: no USB bus 'usb.0'");
  expect_one_line_error(
      vx86({"-bios", hello_guest(), "-usb", "-device", "usb-mouse,bus=usb-bus.0,port=3"}),
      "-device usb-mouse: USB bus 'usb-bus.0' has no port 3");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-usb", "-device", "usb-mouse,port=1",
                              "-device", "usb-kbd,port=1"}),
                        "-device usb-kbd: port 1 of USB bus 'usb-bus.0' is in use");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-usbdevice", "braille"}),
                        "-usbdevice: 'braille' is not a USB device vx86 has (tablet, mouse or "
                        "keyboard)");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-device", "piix3-usb-uhci,addr=0xg"}),
                        "-device piix3-usb-uhci: parameter 'addr' must be SLOT[.FUNCTION]");
}

// -device ide-hd / ide-cd and bootindex are refused as QEMU refuses them.
TEST(CliTest, DrivesNeedAFreePlaceAndBootindexesDiffer) {
  const std::string disk = ::testing::TempDir() + "/cli-ide.img";
  std::ofstream(disk) << std::string(1 << 20, '\0');
  const std::vector<std::string> drives = {
      "-bios",  hello_guest(),
      "-drive", "if=none,id=a,format=raw,file=" + disk,
      "-drive", "if=none,id=b,format=raw,readonly=on,file=" + disk,
      "-drive", "if=none,id=c,format=raw,readonly=on,file=" + disk};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), drives.begin(), drives.end());
    return vx86(extra);
  };
  expect_one_line_error(with({"-device", "ide-hd"}),
                        "-device ide-hd: parameter 'drive' is missing");
  expect_one_line_error(with({"-device", "ide-hd,drive=a,bus=ide.2"}),
                        "-device ide-hd: Bus 'ide.2' not found");
  expect_one_line_error(with({"-device", "ide-hd,drive=a,bus=ide.0,unit=2"}),
                        "-device ide-hd: Can't create IDE unit 2, bus supports only 2 units");
  expect_one_line_error(with({"-device", "ide-hd,drive=a,bus=ide.0,unit=0", "-device",
                              "ide-cd,drive=b,bus=ide.0,unit=0"}),
                        "-device ide-cd: IDE unit 0 is in use");
  // Without bus= both go to ide.1, as under QEMU, which then has no room.
  expect_one_line_error(
      with({"-device", "ide-hd,drive=a", "-device", "ide-cd,drive=b", "-device", "ide-cd,drive=c"}),
      "-device ide-cd: IDE unit 1 is in use");
  expect_one_line_error(with({"-device", "ide-hd,drive=a,bootindex=1", "-device",
                              "virtio-blk-pci,drive=b,bootindex=1"}),
                        "-device virtio-blk-pci: The bootindex 1 has already been used");
  expect_one_line_error(with({"-device", "e1000,bootindex=first"}),
                        "-device e1000: parameter 'bootindex' expects a whole number, not 'first'");
  std::remove(disk.c_str());
}

// -blockdev (dotted or JSON, as libvirt writes it) is checked as QEMU checks
// it, with QEMU's words where it has them; so is -device's JSON form.
TEST(CliTest, BlockdevNodesAreChecked) {
  const std::string dir = ::testing::TempDir() + "/cli-blockdev-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string raw = dir + "/a.img", base = dir + "/base.qcow2", top = dir + "/top.qcow2";
  std::ofstream(raw) << std::string(1 << 20, '\0');
  ASSERT_EQ(run_command({VX86_IMG_BINARY, "create", "-f", "qcow2", base, "4M"}).status, 0);
  ASSERT_EQ(run_command({VX86_IMG_BINARY, "create", "-f", "qcow2", "-b", base, "-F", "qcow2", top})
                .status,
            0);
  auto blockdev = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-bios", hello_guest()});
    return vx86(args);
  };
  expect_one_line_error(blockdev({"-blockdev", "driver=file,filename=" + raw}),
                        "-blockdev: 'node-name' must be specified for the root node");
  expect_one_line_error(blockdev({"-blockdev", "driver=vmdk,node-name=x"}),
                        "-blockdev node-name=x: Parameter 'driver' does not accept value 'vmdk'");
  expect_one_line_error(blockdev({"-blockdev", "node-name=x,filename=" + raw}),
                        "-blockdev node-name=x: Parameter 'driver' is missing");
  expect_one_line_error(blockdev({"-blockdev", "driver=qcow2,node-name=x,file=nope"}),
                        "-blockdev node-name=x: Cannot find device='nope' nor node-name='nope'");
  expect_one_line_error(
      blockdev({"-blockdev", "driver=qcow2,node-name=x,file.driver=file,file.filename=" + raw}),
      "-blockdev node-name=x: Could not open '" + raw + "': Image is not in qcow2 format");
  expect_one_line_error(blockdev({"-blockdev", R"({"driver":"file","node-name":"y","bogus":1})"}),
                        "-blockdev: invalid parameter 'bogus'");
  expect_one_line_error(blockdev({"-blockdev", R"({"driver":)"}), "-blockdev: not valid JSON");
  expect_one_line_error(
      blockdev({"-blockdev", "driver=file,node-name=s,filename=" + raw, "-blockdev",
                "driver=raw,node-name=r,file=s", "-blockdev", "driver=raw,node-name=r2,file=s"}),
      "-blockdev node-name=r2: node 's' is already used by node 'r'");
  // The backing chain the nodes spell out must be the image's own.
  expect_one_line_error(
      blockdev({"-blockdev", "driver=file,node-name=t,filename=" + top, "-blockdev",
                "driver=qcow2,node-name=f,file=t,backing=null"}),
      "-blockdev node-name=f: backing=null, but " + top + " has the backing file " + base);
  expect_one_line_error(blockdev({"-blockdev", "driver=file,node-name=b,filename=" + raw,
                                  "-blockdev", "driver=raw,node-name=braw,file=b", "-blockdev",
                                  "driver=file,node-name=t,filename=" + top, "-blockdev",
                                  "driver=qcow2,node-name=f,file=t,backing=braw"}),
                        "-blockdev node-name=f: its backing file is " + base +
                            " (qcow2), not the node's " + raw + " (raw)");
  // JSON -device: a PCI device on a bus vx86 does not have.
  expect_one_line_error(blockdev({"-blockdev", "driver=file,node-name=s,filename=" + raw, "-device",
                                  R"({"driver":"virtio-blk-pci","bus":"pci.1","drive":"s"})"}),
                        "-device virtio-blk-pci: Bus 'pci.1' not found");
  // A chain spelled out as it is, as libvirt does, is taken: the guest runs
  // (and says hello through isa-debug-exit: status 1).
  CommandResult ok = blockdev(
      {"-display", "none", "-serial", "null", "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
       "-blockdev", R"({"driver":"file","filename":")" + base + R"(","node-name":"s2"})",
       "-blockdev", R"({"driver":"qcow2","file":"s2","node-name":"f2","backing":null})",
       "-blockdev", R"({"driver":"file","filename":")" + top + R"(","node-name":"s1"})",
       "-blockdev", R"({"driver":"qcow2","file":"s1","node-name":"f1","backing":"f2"})", "-device",
       R"({"driver":"virtio-blk-pci","bus":"pci.0","addr":"0x4","drive":"f1","bootindex":1})"});
  EXPECT_EQ(ok.status, 1) << ok.err;
  EXPECT_EQ(ok.err, "");
  std::filesystem::remove_all(dir);
}

TEST(CliTest, VncOptionsAreChecked) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-vnc", "somewhere"}),
                        "-vnc: 'somewhere' is not [HOST]:DISPLAY, unix:PATH or none");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-vnc", ":1,reverse=on"}),
                        "-vnc: parameter 'reverse' is not available yet");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-vnc", ":1,share=never"}),
                        "-vnc: parameter 'share' must be allow-exclusive, force-shared or ignore");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-vnc", "no-such-host.invalid:1"}),
                        "-vnc: cannot resolve 'no-such-host.invalid'");
  // A port in use: the next display with to=, else an error naming it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  const unsigned port = ntohs(addr.sin_port);
  if (port > 5900) {
    expect_one_line_error(
        vx86({"-bios", hello_guest(), "-vnc", "127.0.0.1:" + std::to_string(port - 5900)}),
        "-vnc: cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  close(fd);
}

// What libvirt's command lines hold besides devices, refused as QEMU
// refuses it or as not there yet.
// -smbios refuses what QEMU refuses, in its words.
TEST(CliTest, SmbiosOptionsAreChecked) {
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-bios", bios, "-smbios", "type=1,foo=bar"}),
                        "-smbios type=1,foo=bar: Invalid parameter 'foo'");
  expect_one_line_error(vx86({"-bios", bios, "-smbios", "type=9"}),
                        "-smbios type=9: Don't know how to build fields for SMBIOS type 9");
  expect_one_line_error(vx86({"-bios", bios, "-smbios", "type=1,uuid=bad"}),
                        "-smbios type=1,uuid=bad: Invalid UUID");
  expect_one_line_error(vx86({"-bios", bios, "-smbios", "type=0,release=x"}),
                        "-smbios type=0,release=x: Invalid release");
  expect_one_line_error(vx86({"-bios", bios, "-smbios", "vendor=x"}),
                        "-smbios vendor=x: Must specify type= or file=");
  expect_one_line_error(vx86({"-bios", bios, "-smbios", "type=11,path=/nonexistent"}),
                        "-smbios type=11,path=/nonexistent: Could not open '/nonexistent': No such "
                        "file or directory");
  expect_one_line_error(vx86({"-bios", bios, "-smbios", "file=/tmp/x"}),
                        "-smbios file=/tmp/x: SMBIOS table files are not available yet");
}

TEST(CliTest, VirtioSerialOptionsAreChecked) {
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtserialport"}),
                        "-device virtserialport: No 'virtio-serial-bus' bus found for device "
                        "'virtserialport' (add -device virtio-serial-pci)");
  expect_one_line_error(
      vx86({"-bios", bios, "-device", "virtio-serial-pci", "-device", "virtconsole,bus=vs.0"}),
      "-device virtconsole: Bus 'vs.0' not found");
  expect_one_line_error(
      vx86({"-bios", bios, "-device", "virtio-serial-pci", "-device", "virtserialport,nr=0"}),
      "-device virtserialport: Port number 0 on virtio-serial devices reserved for virtconsole "
      "devices for backward compatibility.");
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtio-serial-pci,max_ports=2", "-device",
                              "virtserialport,nr=2"}),
                        "-device virtserialport: virtio-serial-bus: Out-of-range port id "
                        "specified, max. allowed: 1");
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtio-serial-pci", "-device",
                              "virtserialport,name=a", "-device", "virtio-serial-pci", "-device",
                              "virtserialport,name=a,bus=virtio-serial-bus.1"}),
                        "-device virtserialport: virtio-serial-bus: A port already exists by "
                        "name a");
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtio-serial-pci", "-device",
                              "virtserialport,chardev=nope"}),
                        "-device virtserialport: Property 'virtserialport.chardev' can't find "
                        "value 'nope'");
  expect_one_line_error(
      vx86({"-bios", bios, "-chardev", "null,id=n", "-device", "virtio-serial-pci", "-device",
            "virtserialport,chardev=n", "-device", "virtconsole,chardev=n"}),
      "-device virtconsole: Property 'virtconsole.chardev' can't take value 'n': Device 'n' is "
      "in use");
  expect_one_line_error(vx86({"-bios", bios, "-device", "virtio-serial-pci,max_ports=512"}),
                        "-device virtio-serial-pci: maximum ports supported: 511");
}

TEST(CliTest, SmpTopologiesAreCheckedAsQemuChecksThem) {
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-bios", bios, "-smp", "4,sockets=3"}),
                        "-smp 4,sockets=3: Invalid CPU topology: product of the hierarchy must "
                        "match maxcpus: sockets (3) * dies (1) * cores (1) * threads (1) != "
                        "maxcpus (4)");
  expect_one_line_error(vx86({"-bios", bios, "-smp", "8,sockets=2,cores=2,threads=1"}),
                        "-smp 8,sockets=2,cores=2,threads=1: Invalid CPU topology: product of the "
                        "hierarchy must match maxcpus: sockets (2) * dies (1) * cores (2) * "
                        "threads (1) != maxcpus (8)");
  expect_one_line_error(vx86({"-bios", bios, "-smp", "2,cores=0"}),
                        "-smp 2,cores=0: CPU topology parameters must be greater than zero");
  expect_one_line_error(vx86({"-bios", bios, "-smp", "2,maxcpus=4"}),
                        "-smp 2,maxcpus=4: CPUs to hot-plug later (maxcpus above the CPU count) "
                        "are not available yet");
  expect_one_line_error(vx86({"-bios", bios, "-smp", "6,sockets=2,cores=3"}),
                        "-smp 6,sockets=2,cores=3: this topology leaves gaps between APIC IDs");
}

// -drive if=pflash: two units, raw images, the firmware as unit 0.
TEST(CliTest, PflashDrivesAreChecked) {
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-drive", "if=pflash,format=raw,unit=2,file=" + bios}),
                        "parameter 'unit' must be 0 or 1 for if=pflash");
  expect_one_line_error(vx86({"-bios", bios, "-drive", "if=pflash,format=raw,file=" + bios}),
                        "-bios: the firmware is already -drive if=pflash,unit=0");
  expect_one_line_error(vx86({"-bios", bios, "-drive", "if=pflash,format=raw,unit=1,file=" + bios}),
                        "-drive if=pflash,unit=1: the variable store needs the firmware as unit 0");
  expect_one_line_error(vx86({"-drive", "if=pflash,format=raw,file=" + bios, "-drive",
                              "if=pflash,format=raw,unit=0,file=" + bios}),
                        "pflash unit 0 is used by another drive");
  expect_one_line_error(vx86({"-machine", "q35,pflash0=nosuch"}),
                        "-machine pflash0=nosuch: no block node 'nosuch'");
}

// The q35 machine refuses what it cannot have yet, saying what to use, and
// what its AHCI controller cannot take.
TEST(CliTest, Q35RefusesWhatItHasNotGotYet) {
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-bios", bios, "-M", "pc-q35-6.2"}),
                        "-machine pc-q35-6.2: this machine type is not available yet (pc and "
                        "q35, which are QEMU 7.2's pc-i440fx-7.2 and pc-q35-7.2, are)");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35,sata=off", "-cdrom", bios}),
                        "go to the q35 machine's AHCI controller, which -machine sata=off took "
                        "away");
  expect_one_line_error(
      vx86({"-bios", bios, "-M", "q35", "-drive", "if=none,id=d,file=" + bios + ",format=raw",
            "-device", "ide-hd,drive=d,bus=ide.6"}),
      "-device ide-hd: Bus 'ide.6' not found (ide.0 to ide.5)");
  expect_one_line_error(
      vx86({"-bios", bios, "-M", "q35", "-drive", "if=none,id=d,file=" + bios + ",format=raw",
            "-device", "ide-hd,drive=d,bus=ide.0,unit=1"}),
      "-device ide-hd: Can't create IDE unit 1, bus supports only 1 unit");
  expect_one_line_error(
      vx86({"-bios", bios, "-M", "q35", "-drive", "file=" + bios + ",format=raw,if=ide,index=6"}),
      "parameter 'index' must be 0 to 5 for if=ide");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35", "-usb"}),
                        "-usb: the q35 machine's USB controllers (the ICH9's EHCI and UHCI) are "
                        "not available yet");
  expect_one_line_error(vx86({"-bios", bios, "-M", "pc,smbus=on"}),
                        "-machine smbus=on: the pc's SMBus controller (the PIIX4's) is not "
                        "available yet");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35", "-device", "virtio-rng-pci,bus=pci.0"}),
                        "-device virtio-rng-pci: Bus 'pci.0' not found");
  expect_one_line_error(vx86({"-bios", bios, "-M", "pc", "-device", "virtio-rng-pci,bus=pcie.0"}),
                        "-device virtio-rng-pci: Bus 'pcie.0' not found");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35", "-device", "VGA,bus=pcie.0,addr=0x2"}),
                        "-device VGA: the VGA is at pcie.0 slot 1");
  const CommandResult help = vx86({"-M", "help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("q35                  Standard PC (Q35 + ICH9, 2009)"), std::string::npos)
      << help.out;
}

TEST(CliTest, PcieRootPortsAreChecked) {
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-bios", bios, "-M", "pc", "-device", "pcie-root-port,id=p1"}),
                        "-device pcie-root-port: a root port plugs into the q35's PCI Express "
                        "root bus (-M q35, bus=pcie.0)");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35", "-device", "pcie-root-port,id=p1",
                              "-device", "pcie-root-port,id=p2,bus=p1"}),
                        "-device pcie-root-port: a root port plugs into the q35's PCI Express "
                        "root bus");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35", "-device", "pcie-root-port,port=256"}),
                        "-device pcie-root-port: parameter 'port' must be at most 255");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35", "-device", "pcie-root-port,id=p1",
                              "-device", "virtio-rng-pci,bus=p2"}),
                        "-device virtio-rng-pci: Bus 'p2' not found");
  expect_one_line_error(vx86({"-bios", bios, "-M", "q35", "-device", "pcie-root-port,id=p1",
                              "-device", "virtio-rng-pci,bus=p1,addr=0x1"}),
                        "-device virtio-rng-pci: a PCI Express port has only slot 0 (addr=0x0)");
  expect_one_line_error(
      vx86({"-bios", bios, "-M", "q35", "-device", "pcie-root-port,id=p1", "-device",
            "virtio-rng-pci,bus=p1", "-device", "virtio-rng-pci,bus=p1"}),
      "-device virtio-rng-pci: the PCI bus is full");
  expect_one_line_error(vx86({"-bios", bios, "-M", "pc", "-device", "pcie-pci-bridge,id=b"}),
                        "-device pcie-pci-bridge: it plugs into a PCI Express bus");
  // More than one function in a slot: function 0 must say so, as in QEMU.
  expect_one_line_error(
      vx86({"-bios", bios, "-M", "q35", "-device", "pcie-root-port,id=p1,addr=0x5", "-device",
            "pcie-root-port,id=p2,addr=0x5.0x1"}),
      "-device pcie-root-port: PCI: single function device can't be populated "
      "in function 5.1");
  expect_one_line_error(
      vx86({"-bios", bios, "-M", "q35", "-device", "pcie-root-port,id=p2,addr=0x5.0x1", "-device",
            "pcie-root-port,id=p1,addr=0x5"}),
      "-device pcie-root-port: PCI: 5.0 indicates single function, but 5.1 is "
      "already populated.");
}

TEST(CliTest, LibvirtsOtherOptionsAreChecked) {
  const std::string bios = hello_guest();
  expect_one_line_error(vx86({"-bios", bios, "-uuid", "xyz"}),
                        "-uuid xyz: failed to parse UUID string: wrong format");
  expect_one_line_error(vx86({"-bios", bios, "-M", "pc-i440fx-6.2"}),
                        "-machine pc-i440fx-6.2: this machine type is not available yet");
  expect_one_line_error(
      vx86({"-bios", bios, "-M", "pc-i440fx-7.2,memory-backend=pc.ram", "-m", "256", "-object",
            R"({"qom-type":"memory-backend-ram","id":"pc.ram","size":134217728})"}),
      "Machine memory size does not match the size of the memory backend");
  expect_one_line_error(vx86({"-bios", bios, "-M", "pc,memory-backend=ram0"}),
                        "-machine memory-backend=ram0: no -object memory-backend-ram with that id");
  expect_one_line_error(vx86({"-bios", bios, "-audiodev", "alsa,id=a"}),
                        "-audiodev alsa: audio backends are not available yet (none is)");
  expect_one_line_error(vx86({"-bios", bios, "-k", "de"}),
                        "-k de: keyboard layouts other than en-us are not available yet");
  expect_one_line_error(vx86({"-bios", bios, "-sandbox", "on,obsolete=deny"}),
                        "-sandbox on: the seccomp sandbox is not available yet");
  expect_one_line_error(vx86({"-bios", bios, "-overcommit", "cpu-pm=on"}),
                        "-overcommit: parameter 'cpu-pm' is not available yet");
  expect_one_line_error(
      vx86({"-bios", bios, "-object", "secret,id=k,format=raw,file=/nonexistent/key"}),
      "-object secret,id=k: Unable to read /nonexistent/key");
  expect_one_line_error(vx86({"-bios", bios, "-device", "VGA,addr=0x5"}),
                        "-device VGA: the VGA is at pci.0 slot 2");
  // -msg timestamp=on puts QEMU's timestamp and the guest's name first.
  CommandResult r = vx86({"-msg", "timestamp=on,guest-name=on", "-name", "myvm", "-bios", bios,
                          "-drive", "file=/nonexistent/disk.img,format=raw"});
  EXPECT_EQ(r.status, 1);
  ASSERT_GE(r.err.size(), 28u) << r.err;
  EXPECT_EQ(r.err[4], '-');
  EXPECT_EQ(r.err[10], 'T');
  EXPECT_EQ(r.err.substr(26, 12), "Z myvm vx86:") << r.err;
}

TEST(CliTest, KvmProblemsAreExplained) {
  expect_one_line_error(vx86({"-bios", hello_guest(), "-accel", "kvm,device=/nonexistent/kvm"}),
                        "/nonexistent/kvm does not exist");
  expect_one_line_error(vx86({"-bios", hello_guest(), "-accel", "kvm,kernel-irqchip=half"}),
                        "parameter 'kernel-irqchip' expects on, split or off, not 'half'");
}

TEST(CliTest, FirmwareProblemsAreExplained) {
  expect_one_line_error(vx86({"-bios", "/nonexistent/bios.bin"}), "cannot open");
  expect_one_line_error(vx86({"-boot", "x"}), "-boot: invalid boot device 'x'");
  expect_one_line_error(vx86({"-boot", "order=cdan"}), "must name one to three devices");
  expect_one_line_error(vx86({"-boot", "once=x"}), "-boot: invalid boot device 'x'");
  expect_one_line_error(vx86({"-boot", "strict=maybe"}), "-boot: parameter 'strict'");
  expect_one_line_error(vx86({"-boot", "reboot-timeout=70000"}),
                        "-boot: parameter 'reboot-timeout' must be a number from -1 to 65535 (not "
                        "'70000')");
  expect_one_line_error(vx86({"-boot", "reboot-timeout=-5"}),
                        "-boot: parameter 'reboot-timeout' must be a number from -1 to 65535");
  expect_one_line_error(vx86({"-boot", "splash-time=x"}),
                        "-boot: parameter 'splash-time' must be a number from 0 to 65535");
  expect_one_line_error(vx86({"-boot", "splash=/nonexistent/splash.jpg"}),
                        "-boot splash=/nonexistent/splash.jpg: cannot open file");
  std::string path = ::testing::TempDir() + "/short.bin";
  std::ofstream(path) << "not a firmware";
  expect_one_line_error(vx86({"-bios", path}), "multiple of 64 KiB");
  std::remove(path.c_str());
}

TEST(CliTest, LogFileThatCannotBeOpened) {
  expect_one_line_error(vx86({"-D", "/nonexistent/dir/log.txt", "-bios", hello_guest()}),
                        "-D /nonexistent/dir/log.txt");
}

std::set<std::string> perf_maps() {
  std::set<std::string> maps;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("perf-", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".map")
      maps.insert(entry.path().string());
  }
  return maps;
}

// -perfmap: /tmp/perf-<pid>.map names the stubs and every block by its
// guest address, in perf's "START SIZE NAME" format, inside the code buffer.
// Guest addresses of the blocks in an -d in_asm,exec log: the "exec:" lines.
std::vector<std::string> executed_blocks(const std::string& log_path) {
  std::ifstream in(log_path);
  std::vector<std::string> blocks;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("exec: ", 0) == 0) blocks.push_back(line.substr(6, line.find(' ', 6) - 6));
  }
  return blocks;
}

TEST(CliTest, DfilterLimitsBlockLogsToTheRanges) {
  const std::string log_path = ::testing::TempDir() + "/dfilter.log";
  std::vector<std::string> run = {"-display", "none",
                                  "-bios",    hello_guest(),
                                  "-device",  "isa-debug-exit,iobase=0xf4,iosize=4",
                                  "-d",       "in_asm,exec",
                                  "-D",       log_path};
  vx86(run);
  const std::vector<std::string> all = executed_blocks(log_path);
  ASSERT_GT(all.size(), 2u);
  // The reset vector's block (linear 0xfffffff0) alone.
  run.insert(run.end(), {"-dfilter", "0xfffffff0+16"});
  vx86(run);
  EXPECT_EQ(executed_blocks(log_path), std::vector<std::string>{"f000:000000000000fff0"});
  std::ifstream in(log_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("IN: f000:00000000 "), std::string::npos) << "other blocks' code logged";
  EXPECT_NE(text.find("IN: f000:0000fff0 "), std::string::npos) << text;
  std::filesystem::remove(log_path);
}

TEST(CliTest, PerfMapNamesGeneratedCode) {
  const std::set<std::string> before = perf_maps();
  auto r = vx86({"-perfmap", "-display", "none", "-accel", "tcg,backend=jit", "-bios",
                 hello_guest(), "-device", "isa-debug-exit,iobase=0xf4,iosize=4"});
  std::vector<std::string> created;
  for (const std::string& path : perf_maps()) {
    if (!before.count(path)) created.push_back(path);
  }
  ASSERT_EQ(created.size(), 1u) << "status " << r.status << ": " << r.err;
  std::ifstream in(created[0]);
  std::string line;
  unsigned stubs = 0, blocks = 0;
  uint64_t stub_start = 0;
  while (std::getline(in, line)) {
    unsigned long long start = 0, size = 0;
    char name[64] = {};
    ASSERT_EQ(std::sscanf(line.c_str(), "%llx %llx %63s", &start, &size, name), 3) << line;
    EXPECT_GT(size, 0u) << line;
    if (std::string(name) == "vx86-stub:enter") stub_start = start;
    if (std::string(name).rfind("vx86-stub:", 0) == 0) ++stubs;
    if (std::string(name).rfind("tb:0x", 0) == 0) {
      ++blocks;
      EXPECT_GT(start, stub_start) << line;  // after the stubs in the same buffer
    }
  }
  std::filesystem::remove(created[0]);
  EXPECT_EQ(stubs, 4u);
  EXPECT_GT(blocks, 0u);
}

}  // namespace
}  // namespace vx86::test
