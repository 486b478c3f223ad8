#pragma once
// The AT engine: writes commands, reads the module's stream and sorts each frame into echo,
// response (to the pending command), URC, or late reply, so that a URC arriving inside a
// response is never taken as the answer, and a reply that comes too late is never handed to
// the next command. Matching is by predicates; the engine knows nothing of scenarios.
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "at/dialect.hpp"
#include "at/framer.hpp"
#include "base/duration.hpp"
#include "base/timeline.hpp"
#include "transport/transport.hpp"

namespace athil {

struct ReceivedLine {
  std::string text;
  std::int64_t t_us = 0;  // when it was read
  // When the host last looked at the port and found it without the line (0: not known): the
  // module sent it after this, less the port's latency. Read late, a line may be older than
  // what the pins did before its reading; it is never older than this.
  std::int64_t absent_us = 0;
  bool final = false;  // ended the command: OK, ERROR and kin, or a command's own end (SHUT OK)
};

class AtEngine {
 public:
  using LineTest = std::function<bool(const std::string&)>;

  struct ExpectResult {
    enum class Kind { matched, other_final, timeout } kind;
    ReceivedLine line;                      // the match, or the final result code that ended the wait
    std::vector<ReceivedLine> passed_over;  // response lines seen before it
  };

  AtEngine(Transport& transport, Timeline& timeline, Dialect dialect);

  // More URCs than the model's table knows (a scenario's own declarations); replaces the last.
  void declare_urcs(UrcTable extra) { declared_ = std::move(extra); }

  // Writes the command and CR; the response window opens when its last byte is written.
  // Response lines still unclaimed from an earlier command are dropped as late replies, and a
  // command still owed its final result code stays owed: that code, when it comes, is late.
  // `answered` false: the module ends this command with no result code (data mode, a log
  // edited without it): nothing is owed for it once the next command goes out.
  void send_command(std::string_view command, Deadline deadline, bool answered = true);
  void send_raw(std::string_view bytes, Deadline deadline);
  // The module restarted (power, reset, RDY, its port re-enumerated): it owes no replies.
  void module_restarted(std::string_view why);
  // The commands not answered yet were lost (an autobauding module takes the first AT to
  // learn the rate and never answers it): nothing is owed for them any more.
  void commands_lost(std::string_view why);
  // After an optional wait that ended with nothing: a command that the module, which echoes,
  // neither echoed nor answered for `silence` after it was written was not heard (a sleeping
  // UART, PSM): nothing is owed for it, so no later answer is taken for its late reply.
  void forget_unheard(Duration silence);
  // Sends AT and waits for its OK until `answer_deadline`. An AT left unanswered and not echoed
  // is taken as lost (commands_lost(lost_why)), so the next one's OK is never filed as its late
  // reply: the host's half of a sync with an autobauding or just-booted module. One the module
  // echoed stays owed: a slow module's OK is then late, never the next AT's.
  ExpectResult probe_at(Deadline write_deadline, Deadline answer_deadline, std::string_view lost_why);
  // Whether the module has ended a command with a final result code since it last restarted:
  // a module that has, listens; one that has not may still be about to lose a first command.
  bool answered_since_restart() const { return answered_since_restart_; }

  // The time the module last sent a byte; 0 before any.
  std::int64_t last_received_us() const { return last_received_us_; }
  // The `absent_us` of the last unsolicited line a wait took (wait_urc, expect_any): the module
  // sent that line after it, less the port's latency. 0 before any, or not known. A response is
  // left out: it answers a command, so the module sent it before any restart that command
  // caused, however late the host read it.
  std::int64_t last_urc_absent_us() const { return last_urc_absent_us_; }
  // When the host began writing the last bytes to the module (a command and its CR, or raw
  // bytes); 0 before any. What the module does because of them comes after this, on every
  // channel, however late the host sees its write return.
  std::int64_t last_sent_us() const { return last_sent_us_; }
  // The last command that got its final result code, and whether the module echoed it.
  struct EndedCommand {
    std::string text;
    bool echoed = false;
  };
  const std::optional<EndedCommand>& last_ended_command() const { return last_ended_; }

  // Takes response lines until one passes the test. A final result code that does not pass
  // ends the wait at once.
  ExpectResult expect_response(const LineTest& test, Deadline deadline);
  // Takes the first URC in the queue that passes the test, waiting for more until the deadline.
  // `from_us`: only a URC read at or after that time counts (one read before a command was
  // written cannot be what the command caused); the others stay queued.
  std::optional<ReceivedLine> wait_urc(const LineTest& test, Deadline deadline, std::int64_t from_us = 0);

  // Several waits at once: the first line to pass any test wins. A response alternative
  // sees response lines (a final result code no test passes ends the wait, as in
  // expect_response); a URC alternative sees the URC queue.
  struct Alternative {
    bool urc;
    LineTest test;
  };
  struct AnyResult {
    std::optional<std::size_t> index;       // which alternative matched; empty: none did
    ReceivedLine line;                      // the match, or the final result code that ended the wait
    std::vector<ReceivedLine> passed_over;  // response lines seen before it
  };
  AnyResult expect_any(std::span<const Alternative> alternatives, Deadline deadline, std::int64_t urcs_from_us = 0);

  // Called with every frame as it is sorted (echo included), after the whole chunk is sorted;
  // it may throw to end the current wait (a forbidden line).
  void set_line_observer(std::function<void(const ReceivedLine&)> observer) { observer_ = std::move(observer); }
  // Reads and sorts whatever arrives until the deadline.
  void drain_until(Deadline deadline);
  // Forgets queued URCs (a new step starts). They stay on the timeline, and a note there names
  // those nothing waited for.
  void clear_urcs();

  const std::deque<ReceivedLine>& urcs() const { return urcs_; }
  const std::vector<ReceivedLine>& late_replies() const { return late_; }
  // The last frames received, newest last, each marked with how it was sorted.
  std::vector<std::string> recent_lines(std::size_t n) const;

  static bool is_final_result(std::string_view line);
  // "+CNACT" for AT+CNACT=0,1; empty for commands without a +NAME response prefix.
  static std::string response_prefix(std::string_view command);
  // "+CNACT: 1,..." for the prefix "+CNACT".
  static bool has_response_prefix(std::string_view line, std::string_view prefix);
  // AT+X=... (not AT+X?, AT+X=?, AT+X): a command whose +X: lines may be URCs.
  static bool is_set_form(std::string_view command);

 private:
  // A command between its last byte written and its final result code.
  struct Command {
    std::string text;
    std::string prefix;     // "+NAME" of its responses, or empty
    bool set_form = false;  // AT+X=... (not AT+X?, AT+X=?, AT+X): its +X: lines may be URCs
    bool seen_response = false;
    bool echoed = false;
    bool answered = true;
    std::int64_t sent_us = 0;
  };
  enum class Sorted { echo, response, final, urc, late, prompt };
  static const char* name_of(Sorted sorted);

  void write(std::string_view bytes, Deadline deadline);  // sets last_sent_us_, records the bytes
  bool pump(Deadline deadline);                           // reads once; true when something arrived
  // A line taken by the look past a wait's deadline says so, if it was read after the deadline.
  void note_read_late(const ReceivedLine& line, Deadline deadline);
  void sort(Frame&& frame, std::int64_t t_us, std::int64_t absent_us);
  Sorted classify(const Frame& frame);
  void record_late(ReceivedLine line, std::string_view why);

  Transport& transport_;
  Timeline& timeline_;
  Dialect dialect_;
  UrcTable declared_;
  LineFramer framer_;

  std::optional<Command> pending_;
  std::deque<Command> owed_;        // sent earlier, final result code never came; oldest first
  Sorted last_line_ = Sorted::urc;  // where a payload after its header goes
  int reattachments_seen_ = 0;
  bool answered_since_restart_ = false;
  std::int64_t last_urc_absent_us_ = 0;
  std::int64_t looked_us_ = 0;  // when the last read that took all the port held began
  std::int64_t last_sent_us_ = 0;
  std::int64_t last_received_us_ = 0;
  std::optional<EndedCommand> last_ended_;
  std::deque<ReceivedLine> responses_;
  std::deque<ReceivedLine> urcs_;
  std::vector<Frame> frames_;           // of the chunk being sorted; kept for its capacity
  std::vector<ReceivedLine> observed_;  // the chunk's lines for the observer; kept for its capacity
  struct Recent {
    const char* kind = "";
    std::string text;
  };
  std::array<Recent, 40> recent_;  // a ring, for failure messages
  std::size_t recent_count_ = 0;   // frames ever kept
  std::vector<ReceivedLine> late_;
  std::function<void(const ReceivedLine&)> observer_;
};

}  // namespace athil
