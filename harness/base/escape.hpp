#pragma once
// Bytes from a serial line, made printable: any byte survives, and the text is ASCII,
// so it can go into a transcript or an XML report unchanged.
#include <string>
#include <string_view>

namespace athil {

// Printable ASCII stays; backslash, CR, LF, TAB become \\ \r \n \t; every other byte \xHH.
std::string escape_bytes(std::string_view bytes);
// The inverse of escape_bytes; also accepts \e (ESC) and \0. Throws std::invalid_argument.
std::string unescape_bytes(std::string_view text);

}  // namespace athil
