#pragma once
// The behaviour of one SIM70x0 module, independent of how bytes and pin levels reach it:
// the host (host.cpp) feeds it UART bytes, pin edges and HTTP results, and runs its timers.
// Its code is in module/, one file per concern; its commands are the table in module/commands.cpp.
// Its own command parser on purpose: it shares nothing with the harness's AT engine, so
// that each checks the other.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <random>
#include <set>

#include "sim/current.hpp"
#include "sim/faults.hpp"
#include "sim/gnss_track.hpp"
#include "sim/models.hpp"
#include "sim/mqtt.hpp"
#include "sim/sockets.hpp"

namespace athil::sim {

using Time = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

enum class Pin { pwrkey, reset, supply, status, netlight, dtr };
enum class Level { low, high };

// An HTTP request the module's stack makes through the host (http_fetch.cpp): AT+HTTPTOFS's
// GET, AT+SHCONN's connection (connect only: the stack opens it before a request) and
// AT+SHREQ's requests.
enum class HttpMethod { get, put, post, patch, head, connect_only };
struct HttpRequest {
  std::uint64_t id;
  std::string url;
  Millis timeout;
  HttpMethod method = HttpMethod::get;
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};
};

struct HttpResult {
  enum class Failure { none, refused, dns, timeout, other };
  std::uint64_t id = 0;
  Failure failure = Failure::none;
  int status = 0;
  std::string body;
};

// AT+CPSMS's timers before anything sets them (the factory values are not documented: an
// assumption): T3412 1 hour, T3324 10 seconds.
inline constexpr std::string_view psm_default_tau = "00100001";
inline constexpr std::string_view psm_default_active = "00000101";

class VirtualModule {
 public:
  struct Outputs {
    std::function<void(std::string_view bytes)> uart;
    std::function<void(Pin pin, Level level, Time at)> pin;
    std::function<void(const HttpRequest& request)> http;
    std::function<void(const MqttRequest& request)> mqtt;  // null: no network behind the module
    std::function<void(const SocketRequest& request)> socket;
    std::function<void(bool present)> usb;  // the USB device enumerates (true) or goes away
    // A command this virtual module does not play (answered ERROR, as the module answers a
    // command it does not know): the one place it is told, for its log.
    std::function<void(std::string_view command)> unmodelled;
    // A command the real module does not know either (its AT+CLAC does not list it): ERROR there too.
    std::function<void(std::string_view command)> unknown;
    // The network's clock, for its time zone URCs (*PSUTTZ) and AT+CCLK after AT+CLTS=1: the
    // host's UTC. Null: a fixed time (tests).
    std::function<std::chrono::system_clock::time_point()> network_utc;
  };

  VirtualModule(const ModelInfo& model, std::string firmware, double time_scale, Outputs outputs, Faults faults = {});

  // Bytes from the host. `host_rate` is the baud rate the host's end of the line is set to
  // (0: not known, or no rate on this link, as on USB): a SIM7000 autobauding locks onto it.
  void uart_in(std::string_view bytes, Time now, unsigned host_rate = 0);
  // A level change on an input pin; `at` is when the edge happened (<= now).
  void pin_in(Pin pin, Level level, Time at, Time now);
  void http_done(const HttpResult& result, Time now);
  void mqtt_in(const MqttEvent& event, Time now);
  void socket_in(const SocketEvent& event, Time now);
  // Runs every timer due at `now`.
  void advance(Time now);
  // For the rig around the module: `fn` runs at `when`, in order with the module's own timers
  // (an edge the rig times, such as a pulse's end, comes before what the module would do later).
  void on_clock(Time when, std::function<void()> fn) { at(when, std::move(fn)); }
  std::optional<Time> next_deadline() const;

  // A text message from the network, stored on the SIM (`sms` on the control channel); `stamp`
  // is the service centre's time stamp ("yy/MM/dd,hh:mm:ss+zz").
  void sms_in(std::string_view from, std::string_view text, std::string_view stamp);
  // Boots at once, as if PWRKEY had been pressed (for `athil sim --power-on`).
  void power_on_now(Time now);

  // The commands this virtual module plays, by name ("+CGMI", "E"): each is one the real
  // module knows (sim/command_list.hpp), which a test checks.
  static std::vector<std::string_view> modelled_commands();

  Level pin(Pin p) const;
  // The rate the module's UART runs at now: the AT+IPR rate, or the one autobauding locked
  // onto (0: autobauding and not locked yet, so the module sends nothing).
  unsigned line_rate() const;
  // Back to the state the process started in (firmware, files, AT+IPR, FOTA status), as for
  // a fresh module in the slot; only while it is off.
  bool reset_state();
  void set_saved_rate(unsigned ipr) { ipr_ = ipr; }
  void set_gnss_track(GnssTrack track) { gnss_track_ = std::move(track); }
  const std::string& firmware() const { return firmware_; }
  bool has_reset_pin() const { return model_.has_reset_pin; }
  const char* state_name() const;
  // What it draws from its supply now (module/current.cpp): the host records each change for
  // the virtual instruments, which sample it.
  Draw draw() const;

 private:
  enum class State { off, booting, on, powering_down, updating, psm };  // psm: on, asleep (module/psm.cpp)
  // hang: RESET, a long PWRKEY or the supply reach it; brownout and a stalled updater: only the supply.
  enum class Silence { none, hang, brownout, stalled_update };
  struct Bearer {
    bool active = false;
    std::string ip;
  };

  // Model time, scaled by the time scale.
  Time::duration scaled(Millis model_delay) const;
  Time after(Millis model_delay) const;
  // How long the host may take over a network request the module gives up on after `model_timeout`.
  Millis network_timeout(Millis model_timeout) const;
  // Runs fn after a model delay unless the module lost power or restarted meanwhile.
  void later(Millis model_delay, std::function<void()> fn);
  void at(Time when, std::function<void()> fn);

  void emit(std::string_view bytes);
  void emit_final(std::string_view bytes);  // a final result code: late with the late-reply fault
  void urc(std::string_view line);
  void reply(std::initializer_list<std::string_view> lines);
  void ok();
  void error();
  void cme_error(int code, std::string_view text);
  void set_status(Level level);
  void set_netlight(Level level);
  void blink();  // one NETLIGHT period, in the pattern of the registration state
  void register_network();
  void set_registration(int stat);
  std::string registration(int n) const;  // "<stat>[,<location>]" as +CEREG/+CGREG print it with <n>
  void storm();

  void boot();
  void ready();
  void restart(Millis down_for);
  void power_down(bool graceful, Millis takes);
  void cut_power();
  void press_held(Millis hold);  // the current PWRKEY press has lasted `hold`
  void begin_update();
  void finish_update(bool success, Millis after);
  void arm_once_faults();
  bool usb() const { return static_cast<bool>(out_.usb); }

  // A command line as the module parses it: AT<name>, AT<name>?, AT<name>=?, AT<name>=<args>.
  enum class Form { exec, read, test, set };
  struct Forms {
    bool exec = false, read = false, test = false, set = false;
    bool has(Form form) const;
  };
  struct Invocation {
    std::string name;  // upper case: "+CFUN", "E1"
    Form form;
    std::string args;  // after '=' in the set form
  };
  // A row of the command table (module/commands.cpp): a command, the forms the module answers,
  // its handler. Anything else goes to unmodelled().
  struct Command {
    std::string_view name;
    Forms forms;
    void (VirtualModule::*handle)(const Invocation&);
  };
  static std::span<const Command> command_table();
  static const Command* find_command(std::string_view name);

  void handle_line(std::string line);
  void handle_command(const std::string& command);
  void unmodelled(std::string_view command);
  // module/identity.cpp
  void cmd_echo(const Invocation& c);
  void cmd_ati(const Invocation& c);
  void cmd_accepted(const Invocation& c);
  void cmd_revision(const Invocation& c);
  void cmd_cgmi(const Invocation& c);
  void cmd_cgmm(const Invocation& c);
  void cmd_imei(const Invocation& c);
  void cmd_simcomati(const Invocation& c);
  void cmd_cmee(const Invocation& c);
  void cmd_cpin(const Invocation& c);
  // module/housekeeping.cpp
  void cmd_ccid(const Invocation& c);
  void cmd_cimi(const Invocation& c);
  void cmd_cbc(const Invocation& c);
  void cmd_cclk(const Invocation& c);
  void cmd_clts(const Invocation& c);
  void cmd_cnetlight(const Invocation& c);
  void cmd_ceng(const Invocation& c);
  void cmd_cgact(const Invocation& c);
  void cmd_gsv(const Invocation& c);
  void cmd_clac(const Invocation& c);
  void network_time();  // registered with AT+CLTS=1: DST and *PSUTTZ, and the clock set
  // module/psm.cpp
  void cmd_cpsms(const Invocation& c);
  void cmd_cpsmstatus(const Invocation& c);
  void plan_psm();  // from now: the network releases the connection, the active timer runs out, PSM
  void enter_psm();
  void exit_psm();
  void cmd_csclk(const Invocation& c);
  void cmd_cedrxs(const Invocation& c);
  void cmd_cedrxrdp(const Invocation& c);
  void plan_uart_sleep();  // AT+CSCLK=1 with DTR high: the UART sleeps after a spell without input
  std::string clock_text() const;
  // module/network.cpp
  void cmd_cops(const Invocation& c);
  void cmd_creg(const Invocation& c);
  void cmd_cpsi(const Invocation& c);
  void cmd_cgnapn(const Invocation& c);
  void cmd_cpsmrdp(const Invocation& c);
  void cmd_setting(const Invocation& c);
  void cmd_csq(const Invocation& c);
  void cmd_cgatt(const Invocation& c);
  void cmd_cereg(const Invocation& c);
  void cmd_cfun(const Invocation& c);
  // module/power.cpp
  void cmd_cpowd(const Invocation& c);
  void cmd_creboot(const Invocation& c);
  // module/uart.cpp
  void cmd_ipr(const Invocation& c);
  // module/bearer.cpp
  void cmd_cnact(const Invocation& c);
  // module/http.cpp
  void cmd_httptofs(const Invocation& c);
  void cmd_httptofsrl(const Invocation& c);
  // module/https.cpp
  void cmd_csslcfg(const Invocation& c);
  void cmd_shssl(const Invocation& c);
  void cmd_shconf(const Invocation& c);
  void cmd_shconn(const Invocation& c);
  void cmd_shstate(const Invocation& c);
  void cmd_shahead(const Invocation& c);
  void cmd_shchead(const Invocation& c);
  void cmd_shbod(const Invocation& c);
  void cmd_shreq(const Invocation& c);
  void cmd_shread(const Invocation& c);
  void cmd_shdisc(const Invocation& c);
  void sh_body_bytes(std::string_view bytes);  // AT+SHBOD's body after its prompt
  void sh_ask(HttpMethod method, const std::string& url);
  void sh_done(const HttpResult& result);
  bool waiting_on_network() const { return mqtt_.awaited != 0 || sh_.awaited != 0 || socket_cid_waiting_.has_value(); }
  // module/sockets.cpp
  void cmd_caopen(const Invocation& c);
  void cmd_casend(const Invocation& c);
  void cmd_carecv(const Invocation& c);
  void cmd_caclose(const Invocation& c);
  void cmd_castate(const Invocation& c);
  void cmd_ca_setting(const Invocation& c);
  void ca_send_bytes(std::string_view bytes);  // AT+CASEND's data after its prompt
  // SIM7000's TCP/IP toolkit (cip.cpp): AT+CSTT, AT+CIICR, AT+CIFSR, AT+CIP*, and AT+SAPBR.
  void cmd_cstt(const Invocation& c);
  void cmd_ciicr(const Invocation& c);
  void cmd_cifsr(const Invocation& c);
  void cmd_cipmux(const Invocation& c);
  void cmd_cip_flag(const Invocation& c);  // AT+CIPQSEND, AT+CIPHEAD
  void cmd_cipstatus(const Invocation& c);
  void cmd_cipstart(const Invocation& c);
  void cmd_cipsend(const Invocation& c);
  void cmd_ciprxget(const Invocation& c);
  void cmd_cipclose(const Invocation& c);
  void cmd_cipshut(const Invocation& c);
  void cmd_sapbr(const Invocation& c);
  void cip_send_bytes(std::string_view bytes);  // AT+CIPSEND's data after its prompt
  void cip_key(char c);                         // the same, typed until Ctrl-Z
  bool cip_socket_in(const SocketEvent& e);     // false: not one of its connections
  void cip_received(int n, const std::string& data);
  void cip_reset();                  // power loss, AT+CIPSHUT: every connection closes
  std::string cip_tag(int n) const;  // "0, " before a connection's lines with AT+CIPMUX=1
  std::string cip_state() const;     // AT+CIPSTATUS's STATE
  void sockets_reset();              // power loss: every socket closes
  bool bearer_up() const;
  // module/mqtt.cpp
  void cmd_smconf(const Invocation& c);
  void cmd_smconn(const Invocation& c);
  void cmd_smssl(const Invocation& c);
  void cmd_smpub(const Invocation& c);
  void cmd_smsub(const Invocation& c);
  void cmd_smunsub(const Invocation& c);
  void cmd_smdisc(const Invocation& c);
  void cmd_smstate(const Invocation& c);
  void mqtt_message_bytes(std::string_view bytes);  // AT+SMPUB's message, after its prompt
  void mqtt_ask(MqttRequest request);               // the command's answer waits for the broker's
  void mqtt_lost();
  void mqtt_reset();  // the module lost power or restarted: the link is gone, the settings too
  void run_held_lines();
  // module/gnss.cpp
  void cmd_cgnspwr(const Invocation& c);
  void cmd_cgnsinf(const Invocation& c);
  void cmd_sgnscmd(const Invocation& c);
  std::string cgnsinf_fields();
  void sgns_report(std::uint64_t chain, Millis interval);
  bool gnss_rf_free() const;
  bool gnss_fixed() const;
  void gnss_update();  // the receiver on or off, the radio on or off: the time to first fix starts or the fix is lost
  std::chrono::system_clock::time_point gnss_utc() const;
  GnssTrack::Fix gnss_position() const;
  // module/fota.cpp
  void cmd_cfota(const Invocation& c);
  // module/files.cpp
  void cmd_cfsinit(const Invocation& c);
  void cmd_cfsterm(const Invocation& c);
  void cmd_cfsgfis(const Invocation& c);
  void cmd_cfsrfile(const Invocation& c);
  void cmd_cfswfile(const Invocation& c);
  void cmd_cfsdfile(const Invocation& c);
  void file_bytes(std::string_view bytes);
  std::size_t raw_input_left() const;  // bytes a command still takes raw after its prompt (0: none)
  void raw_input(std::string_view bytes);
  bool lost();  // byte-loss fault: this byte is lost
  // module/sms.cpp
  struct Sms {
    int index = 0;
    std::string status;  // REC UNREAD, REC READ
    std::string address, stamp, text;
  };
  void cms_error(int code);
  void cmd_cmgf(const Invocation& c);
  void cmd_cscs(const Invocation& c);
  void cmd_cnmi(const Invocation& c);
  void cmd_cmgs(const Invocation& c);
  void cmd_cmgr(const Invocation& c);
  void cmd_cmgl(const Invocation& c);
  void cmd_cmgd(const Invocation& c);
  void sms_key(char c);
  void submit_sms();
  std::string sms_lines(const Sms& m, bool listed) const;

  const ModelInfo& model_;
  const std::string initial_firmware_;
  std::string firmware_;
  double time_scale_;
  Outputs out_;
  Faults faults_;
  std::mt19937 loss_random_{20261121};  // fixed seed: a byte-loss run repeats

  Time now_{};
  std::multimap<Time, std::function<void()>> timers_;
  std::uint64_t life_ = 0;  // changes on every power loss and restart; stale timers check it

  State state_ = State::off;
  bool uart_ready_ = false;
  bool echo_ = true;
  int cmee_ = 0;
  std::string line_;
  Level status_ = Level::low;
  Level netlight_ = Level::low;

  unsigned ipr_;               // saved with AT+IPR: survives power cycles; 0 autobaud
  unsigned locked_rate_ = 0;   // what autobauding detected since the last boot
  bool discard_line_ = false;  // the line that autobauding (or first-at-lost) swallowed
  bool first_command_ = true;

  int cfun_ = 1;
  int reg_stat_ = 0;                       // +CEREG stat: 0 not searching, 1 home, 2 searching
  std::uint64_t registration_search_ = 0;  // the network search under way; an older one's end is void
  int cereg_n_ = 0, cgreg_n_ = 0;
  int ceng_mode_ = 0, ceng_ncell_ = 0;
  bool clts_ = false;
  // Power saving (AT+CPSMS): kept across power cycles, as the module keeps it. The timers are
  // the requested T3412 (periodic TAU) and T3324 (active time) bit strings, which the virtual
  // network grants as asked.
  struct Psm {
    int mode = 0;
    std::string tau{psm_default_tau}, active{psm_default_active};
  } psm_;
  // eDRX (AT+CEDRXS), kept across power cycles: the virtual network grants the value asked
  // for, with a paging time window of "0000".
  struct Edrx {
    int mode = 0;  // 0 off, 1 on, 2 on with +CEDRXP URCs (not sent: no network changes them)
    int act = 4;   // 4 E-UTRAN (Cat-M), 5 NB-IoT
    std::string value = "0010";
  } edrx_;
  bool cpsmstatus_ = false;
  int csclk_ = 0;                  // AT+CSCLK: 1 lets DTR high put the UART to sleep
  bool dtr_high_ = true;           // not driven: pulled high, as on the module
  bool uart_asleep_ = false;       // sleep mode: input lost until DTR goes low
  std::uint64_t sleep_plan_ = 0;   // +CPSMSTATUS URCs
  std::uint64_t psm_plan_ = 0;     // the PSM entry or wake under way; an older one's timer is void
  int psm_wakes_ = 0;              // since the boot: the sleep-current-creep fault's count
  Time registered_at_{};           // the paging occasions count from here
  std::uint64_t blink_chain_ = 0;  // the NETLIGHT blinking under way (PSM stops it, a wake starts another)
  bool netlight_enabled_ = true;   // AT+CNETLIGHT
  // The real-time clock: its local time at `rtc_anchor_`, counted on in model time; from
  // 80/01/06 at each boot (no backup battery), set by AT+CCLK or by the network after AT+CLTS=1.
  std::chrono::system_clock::time_point rtc_at_anchor_{};
  Time rtc_anchor_{};
  int rtc_quarters_ = 0;  // time zone, in quarters of an hour east of UTC

  Silence silence_ = Silence::none;
  bool once_faults_armed_ = false;
  bool pdp_drop_armed_ = false;
  bool prompt_lost_ = false;  // the no-prompt-after-wake fault: the next AT+CASEND has no prompt
  bool stuck_cfun5_ = false;
  bool bricked_ = false;  // fota-brick struck: nothing reaches the module any more
  std::size_t storm_next_ = 0;
  std::vector<std::function<void()>> deferred_faults_;  // once-faults due while the module was off

  bool pwrkey_low_ = false;
  bool supplied_ = true;
  std::uint64_t press_ = 0;
  Time press_edge_{};
  bool press_reached_on_ = false, press_reached_off_ = false;
  Time off_since_{};

  std::map<int, Bearer> bearers_;
  std::map<std::string, std::pair<std::string, std::function<bool(const std::string&)>>> settings_;
  std::map<std::string, std::string> files_;  // survive power cycles
  int fota_status_ = 8;                       // 8: flag cleaned (no update asked for)
  std::vector<Sms> sms_;                      // on the SIM: survive power cycles
  struct SmsEdit {
    bool active = false;  // after AT+CMGS's prompt, until Ctrl-Z or Esc
    std::string address, text;
  } sms_edit_;
  int cmgf_ = 0;  // 0 PDU (not modelled), 1 text
  int cnmi_mt_ = 1;
  int sms_reference_ = 0;
  std::string cscs_ = "IRA";
  bool fota_flag_ = false;
  std::optional<int> fota_progress_;  // percent, while an update is applying

  // AT+CFSWFILE: after DOWNLOAD, exactly `size` raw bytes within the input time.
  struct FileWrite {
    bool active = false;
    std::string path;
    bool append = false;
    std::size_t size = 0;
    std::string data;
    std::uint64_t id = 0;
  } file_write_;
  bool cfs_ready_ = false;  // AT+CFSINIT got the buffer

  // MQTT (AT+SM*): the settings, the current connection, and the command waiting on the broker.
  struct Mqtt {
    std::string host;
    int port = 1883;
    std::string client_id, username, password;
    int keepalive_s = 60;
    bool clean = true;
    std::string will_topic, will_message;
    int will_qos = 0, will_retain = 0;
    bool ssl = false;  // AT+SMSSL=1: TLS, simulated (the broker is spoken to in plain MQTT)
    std::string ca, cert;
    std::uint64_t link = 0;  // the current connection's number: events of older ones are void
    bool connected = false;
    std::uint64_t next_id = 0, awaited = 0;  // awaited: the request whose answer ends the command
    MqttRequest::Kind awaited_kind = MqttRequest::Kind::connect;
    struct Message {  // AT+SMPUB after its prompt
      bool active = false;
      std::string topic;
      std::size_t size = 0;
      int qos = 0;
      bool retain = false;
      std::string data;
    } message;
  } mqtt_;
  bool mqtt_drop_armed_ = false;
  // HTTP(S) (AT+SH*): the settings, the connection, the body to send and the last response.
  struct Sh {
    std::string url, ca;
    int body_limit = 1024, header_limit = 350;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body, response;
    bool ssl = false;  // AT+SHSSL named a context
    bool connected = false, awaiting_connect = false;
    std::uint64_t next_id = 0, awaited = 0;
    int method = 0;  // AT+SHREQ's type - 1
    struct BodyInput {
      bool active = false;
      std::size_t size = 0;
      std::uint64_t id = 0;
      std::string data;
    } body_input;
  } sh_;
  // TCP/UDP (AT+CA*): the sockets by <cid>, and AT+CASEND's data on its way in.
  struct Socket {
    bool open = false, opening = false;
    std::uint64_t link = 0;  // the host's socket: events of an older one are void
    bool udp = false;
    std::string received;  // until AT+CARECV takes it
  };
  std::array<Socket, 13> sockets_{};
  std::uint64_t socket_links_ = 0;
  std::optional<int> socket_cid_waiting_;  // AT+CAOPEN answers when its socket has opened or failed
  struct CaSend {
    bool active = false;
    int cid = 0;
    std::size_t size = 0;
    std::string data;
  } ca_send_;
  // SIM7000's TCP/IP toolkit: its context's state (AT+CIPSTATUS), the connections by <n>
  // (one without AT+CIPMUX=1), AT+CIPSEND's data on its way in; and AT+SAPBR's bearer.
  enum class CipContext { initial, start, gprsact, status, pdp_deact };
  struct CipLink {
    bool open = false, opening = false, closed = false;  // closed: "TCP CLOSED" until the next start
    bool udp = false;
    std::uint64_t link = 0;
    std::string host;
    int port = 0;
    std::string received;  // with AT+CIPRXGET=1, until AT+CIPRXGET=2 reads it
  };
  struct Cip {
    CipContext context = CipContext::initial;
    bool mux = false, quick_send = false, head = false, manual_rx = false;
    std::string apn;
    std::array<CipLink, 8> links{};
    struct {
      bool active = false;
      bool until_ctrl_z = false;  // AT+CIPSEND without a length: size is the most it takes
      int n = 0;
      std::size_t size = 0;
      std::string data;
    } send;
  } cip_;
  struct {
    bool open = false;
    std::string apn;
  } sapbr_;
  std::set<std::string> converted_;     // certificates AT+CSSLCFG="convert" made: kept with the files
  std::deque<std::string> held_lines_;  // command lines that came while a command waited on the broker

  // GNSS: the receiver's state. The track's start stays across power cycles (the vehicle
  // moves on while the module is off).
  struct Gnss {
    bool on = false;
    std::optional<Time> on_since;  // its own clock counts from here until it has a fix
    std::optional<Time> fix_from;  // acquiring, with the RF path free: the fix comes at this time
    bool ephemeris = false;        // it had a fix since the boot: the next start is hot
    std::optional<Time> track_start;
    int sgns_mode = 0;
    std::uint64_t sgns_chain = 0;
  } gnss_;
  GnssTrack gnss_track_;

  struct Download {
    bool busy = false;
    std::uint64_t id = 0;
    std::string url, path;
    std::size_t got = 0, total = 0;
  } download_;
};

}  // namespace athil::sim
