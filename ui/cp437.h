// Code page 437, the character set of a PC's VGA text mode: what each byte
// draws, as Unicode (for fonts indexed by Unicode). Byte 0 is blank; bytes
// 1-31 and 127 are the graphic characters a VGA draws for them.
#pragma once

namespace vx86 {

char32_t cp437_to_unicode(unsigned char byte);

}  // namespace vx86
