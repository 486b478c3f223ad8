#pragma once
// What every part of the virtual module's code shares: the documented timings and sizes it
// plays (../shared/reference/sim70x0.md), in model time, and how it reads command arguments.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/module.hpp"

namespace athil::sim {

using namespace std::chrono_literals;
using namespace std::string_view_literals;

// Documented timings (../shared/reference/sim70x0.md), in model time.
inline constexpr Millis pwrkey_on_hold = 1000ms;
inline constexpr Millis pwrkey_off_hold = 1200ms;
inline constexpr Millis off_before_on = 2000ms;       // a press sooner than this after power-off is ignored
inline constexpr Millis pwrkey_reset_hold = 12600ms;  // models without a RESET pin reset on a long press
inline constexpr Millis urgent_power_down = 100ms;
inline constexpr Millis registration_time = 3000ms;  // searching, then registered on the home network
inline constexpr Millis netlight_on = 64ms;
inline constexpr Millis netlight_off_unregistered = 800ms;
inline constexpr Millis netlight_off_registered = 3000ms;
inline constexpr Millis netlight_off_data = 300ms;
inline constexpr Millis sms_submit_time = 2500ms;  // AT+CMGS's Ctrl-Z to +CMGS over LTE-M
inline constexpr std::size_t max_sms_text = 1024;  // typed after AT+CMGS's prompt; the rest is lost
inline constexpr int sim_sms_capacity = 30;        // messages the SIM ("SM") holds
// The SIM in the virtual slot, on the test network 001-01 that AT+CPSI and AT+CENG report.
inline constexpr std::string_view sim_iccid = "89001012012341234012";
inline constexpr std::string_view sim_imsi = "001010123456789";
// The RTC after power-on, before anything sets it (no backup battery): the GPS epoch, as modules print it.
inline constexpr std::chrono::sys_days rtc_power_on{std::chrono::year{1980} / 1 / 6};
inline constexpr int network_quarters = 0;                // the network's time zone (*PSUTTZ), east of UTC
inline constexpr int supply_millivolts = 3800;            // AT+CBC: the rig's supply, as the module measures it
inline constexpr int supply_percent = 50;                 // AT+CBC's charge level for that voltage
inline constexpr Millis uart_idle_before_sleep = 2000ms;  // AT+CSCLK=1, DTR high: no input for this long (an assumption)
inline constexpr Millis dtr_wake = 50ms;                  // DTR low to a UART that hears again (the manuals' 50 ms)
inline constexpr Millis rrc_inactivity = 10'000ms;        // the network releases the connection after this without traffic
inline constexpr Millis fota_recovery = 8000ms;           // restoring the old image after an interrupted update
inline constexpr Millis bearer_activation = 500ms;
inline constexpr Millis fota_reset_delay = 500ms;
inline constexpr Millis fota_updater_start = 1500ms;
inline constexpr Millis fota_verify_fail = 2000ms;
inline constexpr Millis fota_duration = 150'000ms;  // "several minutes"
inline constexpr int fota_progress_steps = 10;
inline constexpr double download_bytes_per_s = 40'000;  // Cat-M throughput for a delta download
inline constexpr Millis min_network_timeout = 2000ms;
// GNSS: time to first fix after a boot (cold) and after a restart of the receiver that had a
// fix while the module stayed powered (hot). About half a minute and a second or two, as the
// hardware design manuals' TTFF tables give open-sky figures; the exact values are assumptions.
inline constexpr Millis gnss_cold_ttff = 32'000ms;
inline constexpr Millis gnss_hot_ttff = 2000ms;
inline constexpr int gnss_satellites_in_view = 12;
inline constexpr int gnss_satellites_used = 9;
// HTTP(S) (AT+SH*): the manuals' limits, and what is assumed.
inline constexpr int max_sh_body = 4096;                // AT+SHCONF="BODYLEN" at most
inline constexpr int max_sh_header = 350;               // AT+SHCONF="HEADERLEN" at most
inline constexpr std::size_t sh_read_chunk = 2048;      // AT+SHREAD's pieces, as a SIM7000 log shows them
inline constexpr Millis sh_request_timeout = 60'000ms;  // an assumption
inline constexpr Millis sh_response_time = 200ms;       // OK to +SHREQ: an assumption
inline constexpr std::uint64_t sh_request_ids = 1ull << 63;
// TCP/UDP (AT+CA*): sockets 0..12 and 1460-byte sends, as the manuals give them; the rest assumed.
inline constexpr int max_ca_sockets = 13;
inline constexpr int max_ca_send = 1460;
inline constexpr std::size_t max_ca_buffer = 64 * 1024;   // unread data a socket keeps (an assumption)
inline constexpr Millis ca_open_timeout = 60'000ms;       // an assumption
inline constexpr Millis mqtt_connect_timeout = 30'000ms;  // AT+SMCONN gives up (an assumption: not documented)
inline constexpr int max_mqtt_message = 1024;             // AT+SMPUB's <content length> at most
inline constexpr std::size_t max_held_lines = 8;          // command lines kept while a command waits on the broker

inline constexpr std::string_view fota_package = "/fota/update.zip";
inline constexpr std::string_view fs_dirs[] = {"/custapp/", "/fota/", "/datatx/", "/customer/"};
inline constexpr std::size_t max_file_chunk = 10240;  // AT+CFSWFILE and AT+CFSRFILE sizes

// What sits in the UART's FIFO and the host's buffers after a power cycle, as real logs show:
// a stale URC, fragments of an old PPP frame, bytes that are not UTF-8.
inline constexpr std::string_view boot_garbage = "\r\nNORMAL POWER DOWN\r\n~}#\xc0!}!}!} }8}\"}&} } } } }%}&\xde\xad\xbe\xef~\xff\xfe\x00~"sv;
// Unsolicited lines of the urc-storm fault (network time, as with AT+CLTS=1).
inline constexpr std::string_view storm_lines[] = {"DST: 0", "*PSUTTZ: 26/11/21,06:04:03\",\"+04\",0", "+CTZV: +04,0"};

// Splits "1,\"a,b\",3" into {"1", "a,b", "3"}; quotes are removed.
std::vector<std::string> split_args(std::string_view args);
std::optional<int> to_int(std::string_view s);
inline bool in_range(const std::optional<int>& v, int low, int high) { return v && *v >= low && *v <= high; }
// Argument i as a number; nothing when it is missing or not one.
std::optional<int> int_arg(const std::vector<std::string>& args, std::size_t i);
std::string upper(std::string_view s);

}  // namespace athil::sim
