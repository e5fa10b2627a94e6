// Splits a byte stream into JSON texts, as a QMP server must: a client may
// send several objects in one write, or one object over several, with any
// whitespace between them. Brackets are counted outside strings; a value
// ends when its outermost bracket closes (or, for a bare scalar, at the next
// whitespace). The texts are not validated here: the caller parses them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vx86 {

class JsonStreamSplitter {
 public:
  // Limits against a client that never closes its brackets.
  static constexpr std::size_t kMaxTextBytes = 16u << 20;
  static constexpr int kMaxDepth = 1024;

  // Feeds bytes; returns the texts they completed. A text over the limits is
  // returned as it stands (it will not parse) and the splitter starts over.
  std::vector<std::string> feed(const uint8_t* data, std::size_t len);
  // Forgets a partial text (the client went away).
  void reset();

 private:
  std::string text_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool scalar_ = false;  // a top-level value with no brackets
};

}  // namespace vx86
