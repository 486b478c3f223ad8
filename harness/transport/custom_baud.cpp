#include "transport/custom_baud.hpp"

#include <asm/termbits.h>
#include <sys/ioctl.h>

namespace athil {

bool set_custom_baud(int fd, unsigned baud) {
  struct termios2 tio {};
  if (::ioctl(fd, TCGETS2, &tio) != 0) return false;
  tio.c_cflag &= ~static_cast<tcflag_t>(CBAUD | (CBAUD << IBSHIFT));
  tio.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
  tio.c_ispeed = baud;
  tio.c_ospeed = baud;
  if (::ioctl(fd, TCSETS2, &tio) != 0) return false;
  struct termios2 back {};
  if (::ioctl(fd, TCGETS2, &back) != 0) return false;
  return back.c_ospeed == baud && back.c_ispeed == baud;
}

}  // namespace athil
