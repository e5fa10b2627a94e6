// Register offsets and bits of the Intel 82540EM (e1000) that vx86 models,
// from the PCI/PCI-X Family of Gigabit Ethernet Controllers Software
// Developer's Manual (8254x), chapter 13 (registers) and 3 (descriptors).
#pragma once

#include <cstdint>

namespace vx86::e1000 {

// Register offsets in BAR 0.
constexpr uint32_t kCtrl = 0x0000;
constexpr uint32_t kStatus = 0x0008;
constexpr uint32_t kEecd = 0x0010;
constexpr uint32_t kEerd = 0x0014;
constexpr uint32_t kCtrlExt = 0x0018;
constexpr uint32_t kMdic = 0x0020;
constexpr uint32_t kVet = 0x0038;
constexpr uint32_t kIcr = 0x00C0;
constexpr uint32_t kItr = 0x00C4;
constexpr uint32_t kIcs = 0x00C8;
constexpr uint32_t kIms = 0x00D0;
constexpr uint32_t kImc = 0x00D8;
constexpr uint32_t kRctl = 0x0100;
constexpr uint32_t kTctl = 0x0400;
constexpr uint32_t kLedctl = 0x0E00;
constexpr uint32_t kPba = 0x1000;
constexpr uint32_t kRdbal = 0x2800;
constexpr uint32_t kRdbah = 0x2804;
constexpr uint32_t kRdlen = 0x2808;
constexpr uint32_t kRdh = 0x2810;
constexpr uint32_t kRdt = 0x2818;
constexpr uint32_t kTdbal = 0x3800;
constexpr uint32_t kTdbah = 0x3804;
constexpr uint32_t kTdlen = 0x3808;
constexpr uint32_t kTdh = 0x3810;
constexpr uint32_t kTdt = 0x3818;
// Statistics: read-only, cleared when read.
constexpr uint32_t kStatsFirst = 0x4000;
constexpr uint32_t kStatsLast = 0x40FC;
constexpr uint32_t kMpc = 0x4010;    // missed packets (no receive descriptor)
constexpr uint32_t kGprc = 0x4074;   // good packets received
constexpr uint32_t kBprc = 0x4078;   // broadcast packets received
constexpr uint32_t kMprc = 0x407C;   // multicast packets received
constexpr uint32_t kGptc = 0x4080;   // good packets transmitted
constexpr uint32_t kGorcl = 0x4088;  // good octets received (64 bits)
constexpr uint32_t kGotcl = 0x4090;  // good octets transmitted (64 bits)
constexpr uint32_t kTorl = 0x40C0;   // total octets received (64 bits)
constexpr uint32_t kTotl = 0x40C8;   // total octets transmitted (64 bits)
constexpr uint32_t kTpr = 0x40D0;    // total packets received
constexpr uint32_t kTpt = 0x40D4;    // total packets transmitted
constexpr uint32_t kMptc = 0x40F0;   // multicast packets transmitted
constexpr uint32_t kBptc = 0x40F4;   // broadcast packets transmitted
constexpr uint32_t kMta = 0x5200;    // multicast table array, 128 words
constexpr uint32_t kRal0 = 0x5400;   // receive addresses: 16 pairs of RAL/RAH
constexpr uint32_t kReceiveAddresses = 16;

// CTRL.
constexpr uint32_t kCtrlFullDuplex = 1u << 0;
constexpr uint32_t kCtrlSetLinkUp = 1u << 6;
constexpr uint32_t kCtrlSpeed1000 = 2u << 8;
constexpr uint32_t kCtrlReset = 1u << 26;
constexpr uint32_t kCtrlVlanEnable = 1u << 30;
constexpr uint32_t kCtrlPhyReset = 1u << 31;

// STATUS.
constexpr uint32_t kStatusFullDuplex = 1u << 0;
constexpr uint32_t kStatusLinkUp = 1u << 1;
constexpr uint32_t kStatusSpeed1000 = 2u << 6;
constexpr uint32_t kStatusAutoSpeed1000 = 2u << 8;

// Interrupt causes (ICR, ICS, IMS, IMC).
constexpr uint32_t kIntTxDescWritten = 1u << 0;   // TXDW
constexpr uint32_t kIntTxQueueEmpty = 1u << 1;    // TXQE
constexpr uint32_t kIntLinkStatus = 1u << 2;      // LSC
constexpr uint32_t kIntRxMinThreshold = 1u << 4;  // RXDMT0
constexpr uint32_t kIntRxOverrun = 1u << 6;       // RXO
constexpr uint32_t kIntRxTimer = 1u << 7;         // RXT0
constexpr uint32_t kIntMdioDone = 1u << 9;        // MDAC

// RCTL.
constexpr uint32_t kRctlEnable = 1u << 1;
constexpr uint32_t kRctlUnicastPromisc = 1u << 3;
constexpr uint32_t kRctlMulticastPromisc = 1u << 4;
constexpr uint32_t kRctlLongPackets = 1u << 5;
constexpr unsigned kRctlMinThresholdShift = 8;  // RDMTS: 1/2, 1/4, 1/8 of the ring
constexpr unsigned kRctlMulticastOffsetShift = 12;
constexpr uint32_t kRctlBroadcastAccept = 1u << 15;
constexpr unsigned kRctlBufferSizeShift = 16;
constexpr uint32_t kRctlBufferSizeExtension = 1u << 25;
constexpr uint32_t kRctlStripCrc = 1u << 26;

// TCTL.
constexpr uint32_t kTctlEnable = 1u << 1;

// RAH.
constexpr uint32_t kRahAddressValid = 1u << 31;

// MDIC.
constexpr unsigned kMdicRegShift = 16;
constexpr unsigned kMdicPhyShift = 21;
constexpr unsigned kMdicOpShift = 26;
constexpr uint32_t kMdicOpWrite = 1;
constexpr uint32_t kMdicOpRead = 2;
constexpr uint32_t kMdicReady = 1u << 28;
constexpr uint32_t kMdicInterrupt = 1u << 29;
constexpr uint32_t kMdicError = 1u << 30;

// Descriptors are 16 bytes.
constexpr unsigned kDescriptorSize = 16;

// Transmit descriptor command bits (byte 11 of legacy and data descriptors,
// bits 31:24 of their third dword).
constexpr uint8_t kTxCmdEndOfPacket = 1u << 0;     // EOP
constexpr uint8_t kTxCmdInsertChecksum = 1u << 2;  // IC (legacy)
constexpr uint8_t kTxCmdSegmentation = 1u << 2;    // TSE (data, context)
constexpr uint8_t kTxCmdReportStatus = 1u << 3;    // RS
constexpr uint8_t kTxCmdExtension = 1u << 5;       // DEXT
constexpr uint8_t kTxCmdVlan = 1u << 6;            // VLE
// Context descriptor TUCMD bits beside TSE/RS/DEXT.
constexpr uint8_t kTxContextTcp = 1u << 0;   // TCP (else UDP)
constexpr uint8_t kTxContextIpv4 = 1u << 1;  // IP: IPv4 (else IPv6)
// Descriptor types (DTYP, bits 23:20 of the third dword) with DEXT.
constexpr unsigned kTxTypeContext = 0;
constexpr unsigned kTxTypeData = 1;
// Data descriptor POPTS.
constexpr uint8_t kTxInsertIpChecksum = 1u << 0;   // IXSM
constexpr uint8_t kTxInsertTcpChecksum = 1u << 1;  // TXSM
// Status byte (byte 12) of transmit descriptors.
constexpr uint8_t kTxStatusDone = 1u << 0;

// Receive descriptor status bits (byte 12).
constexpr uint8_t kRxStatusDone = 1u << 0;
constexpr uint8_t kRxStatusEndOfPacket = 1u << 1;
constexpr uint8_t kRxStatusIgnoreChecksum = 1u << 2;  // IXSM
constexpr uint8_t kRxStatusVlan = 1u << 3;

}  // namespace vx86::e1000
