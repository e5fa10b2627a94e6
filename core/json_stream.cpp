#include "core/json_stream.h"

namespace vx86 {

namespace {
bool is_space(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
}  // namespace

void JsonStreamSplitter::reset() {
  text_.clear();
  depth_ = 0;
  in_string_ = escaped_ = scalar_ = false;
}

std::vector<std::string> JsonStreamSplitter::feed(const uint8_t* data, std::size_t len) {
  std::vector<std::string> done;
  auto finish = [&] {
    done.push_back(std::move(text_));
    reset();
  };
  for (std::size_t i = 0; i < len; ++i) {
    const uint8_t c = data[i];
    if (text_.empty() && depth_ == 0 && !scalar_ && is_space(c)) continue;
    if (scalar_ && depth_ == 0 && !in_string_ && is_space(c)) {
      finish();
      continue;
    }
    text_.push_back(static_cast<char>(c));
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
        if (depth_ == 0) finish();  // a bare string
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      // A stray closing bracket is a text of its own, which will not parse.
      if (depth_ == 0 || --depth_ == 0) finish();
    } else if (depth_ == 0) {
      scalar_ = true;
    }
    if (text_.size() > kMaxTextBytes || depth_ > kMaxDepth) finish();
  }
  return done;
}

}  // namespace vx86
