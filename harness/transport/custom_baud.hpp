#pragma once
// Rates that <termios.h> has no constant for (3686400, 2900000, ...), set through termios2.
// Its own file: <asm/termbits.h> and <termios.h> cannot be included together.

namespace athil {

// Sets both directions of the open terminal `fd` to `baud` and reads it back. False when the
// driver refuses or rounds it to another rate; errno tells why.
bool set_custom_baud(int fd, unsigned baud);

}  // namespace athil
