// qf_client.cpp -- a FIX client built on QuickFIX, for tests only: it runs a
// scenario file (tests/fix/scenarios/*.txt) against the cets FIX gateway,
// with QuickFIX validating everything it receives against our data
// dictionary (docs/fix/CETS-FIX44.xml). The exchange is C; only this links C++.
//
//   qf_client --port P --dict FILE --dir WORKDIR [--ctl-in FD --ctl-out FD] [--tls CAFILE] SCENARIO
//
// --tls: connect with QuickFIX's SSL initiator, the exchange's certificate
// verified against CAFILE (QuickFIX's SSL settings).
//
// Scenario lines (# starts a comment; $name is a variable; NOW is the time):
//   session NAME SENDERCOMPID USER PASSWORD [hb=N] [TAG=VALUE ...]  (Logon extras)
//   logon NAME                 start or re-enable the session; wait until logged on
//   logout NAME                Logout; wait until logged out
//   send NAME TYPE TAG=VALUE ...
//   expect NAME TYPE TAG=VALUE ...   the next application message: VALUE may be
//                              $var (captured when unset, else compared), * (present),
//                              ! (absent), ~TEXT (contains)
//   expect_admin NAME TYPE TAG=VALUE ...  the next administrative message of TYPE
//   none NAME MS               no application message within MS
//   seq NAME sender=N|+N|-N target=N|+N|-N   set the next sequence numbers
//   check_seq NAME sender=N|$v|$v+N target=...   ($v unset: captured)
//   restart                    ask the harness to restart the exchange
//   sleep MS
// Exit status 0 when every step passed; otherwise the failing line is printed.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <quickfix/Application.h>
#include <quickfix/DataDictionary.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SSLSocketInitiator.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

namespace {

using Fields = std::vector<std::pair<int, std::string>>;

struct Received {
    std::string type;
    Fields fields;
};

struct Sess {
    std::string name, comp, user, password;
    int hb = 5;
    Fields logon_extra;
    FIX::SessionID id;
    std::unique_ptr<FIX::SessionSettings> settings;
    std::unique_ptr<FIX::FileStoreFactory> store;
    std::unique_ptr<FIX::Initiator> initiator;
    std::deque<Received> app, admin;
    bool logged_on = false;
    int last_in = 0; // MsgSeqNum of the last message handed to us
};

std::mutex mu;
std::condition_variable cv;
std::map<std::string, Sess> sessions;
std::map<std::string, std::string> vars;
std::string rejected; // a Reject QuickFIX sent: something we received failed validation

Fields flatten(const FIX::Message &m)
{
    Fields out;
    std::string s = m.toString();
    size_t p = 0;
    while (p < s.size()) {
        size_t eq = s.find('=', p), soh = s.find('\001', p);
        if (eq == std::string::npos || soh == std::string::npos)
            break;
        out.emplace_back(std::atoi(s.substr(p, eq - p).c_str()), s.substr(eq + 1, soh - eq - 1));
        p = soh + 1;
    }
    return out;
}

Sess *by_id(const FIX::SessionID &id)
{
    for (auto &kv : sessions)
        if (kv.second.id == id)
            return &kv.second;
    return nullptr;
}

class App : public FIX::Application {
    void onCreate(const FIX::SessionID &) override {}
    void onLogon(const FIX::SessionID &id) override
    {
        std::lock_guard<std::mutex> l(mu);
        if (Sess *s = by_id(id))
            s->logged_on = true;
        cv.notify_all();
    }
    void onLogout(const FIX::SessionID &id) override
    {
        std::lock_guard<std::mutex> l(mu);
        if (Sess *s = by_id(id))
            s->logged_on = false;
        cv.notify_all();
    }
    void toAdmin(FIX::Message &m, const FIX::SessionID &id) override
    {
        std::lock_guard<std::mutex> l(mu);
        Sess *s = by_id(id);
        if (std::getenv("QF_DEBUG"))
            std::fprintf(stderr, "qf out: %s\n", m.toString().c_str());
        if (m.getHeader().getField(35) == "3") {
            rejected = m.toString();
            for (auto &ch : rejected)
                ch = ch == '\001' ? '|' : ch;
            cv.notify_all();
        }
        if (!s || m.getHeader().getField(35) != "A")
            return;
        m.setField(553, s->user);
        m.setField(554, s->password);
        for (auto &f : s->logon_extra)
            m.setField(f.first, f.second);
    }
    void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override {}
    void fromAdmin(const FIX::Message &m, const FIX::SessionID &id)
        throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
              FIX::RejectLogon) override
    {
        push(m, id, true);
    }
    void fromApp(const FIX::Message &m, const FIX::SessionID &id)
        throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
              FIX::UnsupportedMessageType) override
    {
        push(m, id, false);
    }
    void push(const FIX::Message &m, const FIX::SessionID &id, bool admin)
    {
        std::lock_guard<std::mutex> l(mu);
        Sess *s = by_id(id);
        if (!s)
            return;
        Received r{m.getHeader().getField(35), flatten(m)};
        s->last_in = std::atoi(m.getHeader().getField(34).c_str());
        (admin ? s->admin : s->app).push_back(r);
        cv.notify_all();
    }
};

App app;
int port;
std::string dict, workdir, tls_ca;
int ctl_in = -1, ctl_out = -1;
FIX::DataDictionary *dd;

struct Failure {
    std::string why;
};

[[noreturn]] void fail(const std::string &why) { throw Failure{why}; }

std::vector<std::string> words(const std::string &line)
{
    std::vector<std::string> w;
    std::istringstream in(line);
    std::string x;
    while (in >> x)
        w.push_back(x);
    return w;
}

std::string now_utc()
{
    auto t = std::chrono::system_clock::now();
    std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm;
    gmtime_r(&s, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y%m%d-%H:%M:%S", &tm);
    return b;
}

std::string subst(const std::string &v)
{
    if (v == "NOW")
        return now_utc();
    if (v.size() > 1 && v[0] == '$') {
        auto it = vars.find(v.substr(1));
        if (it == vars.end())
            fail("variable " + v + " is not set");
        return it->second;
    }
    return v;
}

std::pair<int, std::string> tagval(const std::string &w)
{
    size_t eq = w.find('=');
    if (eq == std::string::npos)
        fail("expected TAG=VALUE, got " + w);
    return {std::atoi(w.substr(0, eq).c_str()), w.substr(eq + 1)};
}

Sess &sess(const std::string &name)
{
    auto it = sessions.find(name);
    if (it == sessions.end())
        fail("no session " + name);
    return it->second;
}

void define(const std::vector<std::string> &w)
{
    if (w.size() < 5)
        fail("session NAME COMP USER PASSWORD [hb=N] [TAG=VALUE...]");
    Sess &s = sessions[w[1]];
    s.name = w[1];
    s.comp = w[2];
    s.user = w[3];
    s.password = w[4];
    for (size_t i = 5; i < w.size(); i++) {
        if (w[i].rfind("hb=", 0) == 0)
            s.hb = std::atoi(w[i].c_str() + 3);
        else
            s.logon_extra.push_back(tagval(w[i]));
    }
    s.id = FIX::SessionID("FIX.4.4", s.comp, "CETS");
    std::ostringstream cfg;
    cfg << "[DEFAULT]\nConnectionType=initiator\nReconnectInterval=1\nStartTime=00:00:00\n"
        << "EndTime=00:00:00\nUseDataDictionary=Y\nDataDictionary=" << dict << "\n"
        << "ValidateFieldsOutOfOrder=Y\nValidateFieldsHaveValues=Y\nValidateUserDefinedFields=Y\n"
        << "AllowUnknownMsgFields=N\nCheckLatency=Y\nMaxLatency=120\nSocketNodelay=Y\n"
        << "FileStorePath=" << workdir << "/store-" << s.comp << "\n"
        << "SocketConnectHost=127.0.0.1\nSocketConnectPort=" << port << "\n"
        << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << s.comp << "\nTargetCompID=CETS\n"
        << "HeartBtInt=" << s.hb << "\n";
    if (!tls_ca.empty())
        cfg << "SSLProtocol=all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1\nCertificationAuthoritiesFile="
            << tls_ca << "\nCertificateVerifyLevel=1\n";
    std::istringstream in(cfg.str());
    s.settings.reset(new FIX::SessionSettings(in));
    s.store.reset(new FIX::FileStoreFactory(*s.settings));
}

FIX::Session *qf(Sess &s)
{
    FIX::Session *q = FIX::Session::lookupSession(s.id);
    if (!q)
        fail("session " + s.name + " is not started");
    return q;
}

template <class Pred> void wait_for(Pred p, int ms, const std::string &what)
{
    std::unique_lock<std::mutex> l(mu);
    if (!cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return p() || !rejected.empty(); }))
        fail("timed out waiting for " + what);
    if (!rejected.empty())
        fail("QuickFIX rejected a message from the exchange: " + rejected);
}

void logon(Sess &s)
{
    if (!s.initiator) {
        if (tls_ca.empty())
            s.initiator.reset(new FIX::SocketInitiator(app, *s.store, *s.settings));
        else
            s.initiator.reset(new FIX::SSLSocketInitiator(app, *s.store, *s.settings));
        s.initiator->start();
    } else {
        // QuickFIX drops its old connection on its next timer tick (1 s); a
        // Logon enabled before that goes out on the dying socket and is lost
        usleep(1200 * 1000);
        qf(s)->logon();
    }
    wait_for([&] { return s.logged_on; }, 15000, s.name + " to log on");
}

void logout(Sess &s)
{
    qf(s)->logout("scenario logout");
    wait_for([&] { return !s.logged_on; }, 10000, s.name + " to log out");
}

void send(Sess &s, const std::vector<std::string> &w)
{
    std::string raw = "8=FIX.4.4\0019=0\00135=" + w[2] + "\001";
    for (size_t i = 3; i < w.size(); i++) {
        auto tv = tagval(w[i]);
        raw += std::to_string(tv.first) + "=" + subst(tv.second) + "\001";
    }
    raw += "10=000\001";
    FIX::Message m(raw, *dd, false);
    if (!FIX::Session::sendToTarget(m, s.id))
        fail("sendToTarget failed");
}

std::string show(const Received &r)
{
    std::string s = "35=" + r.type;
    for (auto &f : r.fields)
        if (f.first != 8 && f.first != 9 && f.first != 10 && f.first != 35)
            s += "|" + std::to_string(f.first) + "=" + f.second;
    return s;
}

void check(const Received &r, const std::vector<std::string> &w, size_t from)
{
    for (size_t i = from; i < w.size(); i++) {
        auto tv = tagval(w[i]);
        const std::string *got = nullptr;
        for (auto &f : r.fields)
            if (f.first == tv.first) {
                got = &f.second;
                break;
            }
        const std::string &want = tv.second;
        bool ok;
        if (want == "!")
            ok = !got;
        else if (!got)
            ok = false;
        else if (want == "*")
            ok = true;
        else if (want[0] == '~')
            ok = got->find(want.substr(1)) != std::string::npos;
        else if (want[0] == '$' && !vars.count(want.substr(1)))
            ok = (vars[want.substr(1)] = *got, true);
        else
            ok = *got == subst(want);
        if (!ok)
            fail("tag " + std::to_string(tv.first) + ": wanted " + want + ", got " +
                 (got ? *got : std::string("nothing")) + " in " + show(r));
    }
}

void expect(Sess &s, const std::vector<std::string> &w, bool admin)
{
    Received r;
    {
        std::unique_lock<std::mutex> l(mu);
        auto &q = admin ? s.admin : s.app;
        auto ready = [&] {
            if (admin) /* skip other administrative messages */
                while (!q.empty() && q.front().type != w[2])
                    q.pop_front();
            return !q.empty();
        };
        if (!cv.wait_for(l, std::chrono::seconds(10), [&] { return ready() || !rejected.empty(); }))
            fail("no " + std::string(admin ? "administrative " : "") + "message " + w[2] +
                 " for " + s.name + " within 10 s");
        if (!rejected.empty())
            fail("QuickFIX rejected a message from the exchange: " + rejected);
        r = q.front();
        q.pop_front();
    }
    if (r.type != w[2])
        fail("expected MsgType " + w[2] + ", got " + show(r));
    check(r, w, 3);
}

void none(Sess &s, int ms)
{
    std::unique_lock<std::mutex> l(mu);
    if (cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return !s.app.empty(); }))
        fail("unexpected message " + show(s.app.front()));
}

// N, +N or -N (relative to the current number), $var or $var+N
int seqval(const std::string &v, int current)
{
    if (!v.empty() && (v[0] == '+' || v[0] == '-'))
        return current + std::atoi(v.c_str());
    size_t plus = v.find('+');
    if (v[0] == '$' && plus != std::string::npos)
        return std::atoi(subst(v.substr(0, plus)).c_str()) + std::atoi(v.c_str() + plus + 1);
    return std::atoi(subst(v).c_str());
}

void seq(Sess &s, const std::vector<std::string> &w, bool check_only)
{
    FIX::Session *q = qf(s);
    // QuickFIX counts a message in after our callback returns: let it finish
    for (int i = 0; i < 2000 && q->getExpectedTargetNum() <= s.last_in; i++)
        usleep(1000);
    for (size_t i = 2; i < w.size(); i++) {
        bool sender = w[i].rfind("sender=", 0) == 0;
        std::string v = w[i].substr(w[i].find('=') + 1);
        int cur = sender ? q->getExpectedSenderNum() : q->getExpectedTargetNum();
        if (check_only && v[0] == '$' && v.find('+') == std::string::npos &&
            !vars.count(v.substr(1))) {
            vars[v.substr(1)] = std::to_string(cur);
            continue;
        }
        int want = seqval(v, cur);
        if (check_only) {
            if (cur != want)
                fail(w[i] + ": the next number is " + std::to_string(cur) + ", not " +
                     std::to_string(want));
        } else if (sender) {
            q->setNextSenderMsgSeqNum(want);
        } else {
            q->setNextTargetMsgSeqNum(want);
        }
    }
}

void restart()
{
    if (ctl_out < 0 || ctl_in < 0)
        fail("restart needs the harness (--ctl-in, --ctl-out)");
    if (write(ctl_out, "restart\n", 8) != 8)
        fail("cannot ask for a restart");
    char b[16];
    if (read(ctl_in, b, sizeof b) <= 0)
        fail("the harness did not restart the exchange");
}

void step(const std::vector<std::string> &w)
{
    const std::string &op = w[0];
    auto need = [&](size_t n) {
        if (w.size() < n)
            fail("too few words for " + op);
    };
    if (op == "session")
        define(w);
    else if (op == "logon")
        need(2), logon(sess(w[1]));
    else if (op == "logout")
        need(2), logout(sess(w[1]));
    else if (op == "send")
        need(3), send(sess(w[1]), w);
    else if (op == "expect")
        need(3), expect(sess(w[1]), w, false);
    else if (op == "expect_admin")
        need(3), expect(sess(w[1]), w, true);
    else if (op == "none")
        need(3), none(sess(w[1]), std::atoi(w[2].c_str()));
    else if (op == "seq")
        need(3), seq(sess(w[1]), w, false);
    else if (op == "check_seq")
        need(3), seq(sess(w[1]), w, true);
    else if (op == "restart")
        restart();
    else if (op == "sleep")
        need(2), usleep((useconds_t)std::atoi(w[1].c_str()) * 1000);
    else
        fail("unknown step " + op);
}

} // namespace

int main(int argc, char **argv)
{
    std::string scenario;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--port" && i + 1 < argc)
            port = std::atoi(argv[++i]);
        else if (a == "--dict" && i + 1 < argc)
            dict = argv[++i];
        else if (a == "--dir" && i + 1 < argc)
            workdir = argv[++i];
        else if (a == "--ctl-in" && i + 1 < argc)
            ctl_in = std::atoi(argv[++i]);
        else if (a == "--ctl-out" && i + 1 < argc)
            ctl_out = std::atoi(argv[++i]);
        else if (a == "--tls" && i + 1 < argc)
            tls_ca = argv[++i];
        else
            scenario = a;
    }
    if (!port || dict.empty() || workdir.empty() || scenario.empty()) {
        std::fprintf(stderr, "usage: qf_client --port P --dict FILE --dir DIR SCENARIO\n");
        return 2;
    }
    std::ifstream in(scenario);
    if (!in) {
        std::fprintf(stderr, "qf_client: cannot read %s\n", scenario.c_str());
        return 2;
    }
    int lineno = 0;
    std::string line;
    try {
        dd = new FIX::DataDictionary(dict);
        while (std::getline(in, line)) {
            lineno++;
            size_t hash = line.find('#');
            auto w = words(hash == std::string::npos ? line : line.substr(0, hash));
            if (!w.empty())
                step(w);
        }
    } catch (const Failure &f) {
        std::fprintf(stderr, "%s:%d: %s\n  %s\n", scenario.c_str(), lineno, f.why.c_str(),
                     line.c_str());
        std::_Exit(1);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s:%d: QuickFIX: %s\n  %s\n", scenario.c_str(), lineno, e.what(),
                     line.c_str());
        std::_Exit(1);
    }
    for (auto &kv : sessions)
        if (kv.second.initiator)
            kv.second.initiator->stop();
    std::printf("%s: %d lines passed\n", scenario.c_str(), lineno);
    return 0;
}
