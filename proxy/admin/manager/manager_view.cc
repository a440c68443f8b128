#include "proxy/admin/manager/manager_view.h"

#include <cstdio>

#include "proxy/admin/json_view.h"
#include "proxy/admin/manager/form.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::admin {
namespace {

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string bytes_text(uint64_t n) {  // Apache's balancer-manager prints sizes like "1.2K"
  const char* units[] = {"", "K", "M", "G", "T"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return std::to_string(n);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%s", v, units[u]);
  return buf;
}

std::string sticky_text(const config::StickySession& s) {
  if (!s.enabled()) return "(None)";
  return s.url_param != s.cookie ? s.cookie + " | " + s.url_param : s.cookie;
}

std::string hc_state(const config::HealthCheck& hc, const core::MemberState& s) {
  if (hc.method == config::HcMethod::kNone) return "-";
  if (s.hc_last_check_ns.load(std::memory_order_relaxed) == 0) return "pending";
  const int status = s.hc_last_status.load(std::memory_order_relaxed);
  std::string last = status < 0 ? "connect error" : std::to_string(status);
  return std::string(s.has(core::kHcFailed) ? "failing" : "passing") + " (last " + last +
         (s.hc_last_ok.load(std::memory_order_relaxed) ? ", ok)" : ", failed)");
}

void radio(std::string& out, const std::string& name, bool on) {
  out += "<label><input type=radio name=" + name + " value=1" + (on ? " checked" : "") + ">On</label> ";
  out += "<label><input type=radio name=" + name + " value=0" + (on ? "" : " checked") + ">Off</label>";
}

}  // namespace

std::string apache_status_text(uint32_t flags) {
  std::string s = "Init";
  const std::pair<uint32_t, const char*> words[] = {
      {core::kIgnoreErrors, "Ign"}, {core::kDrain, "Drn"},   {core::kDisabled, "Dis"},
      {core::kStopped, "Stop"},     {core::kHotStandby, "Stby"}, {core::kHotSpare, "Spar"},
      {core::kInError, "Err"},      {core::kHcFailed, "HcFl"}};
  for (const auto& [bit, word] : words)
    if (flags & bit) (s += ' ') += word;
  if (member_usable(flags)) s += " Ok";
  return s;
}

std::string manager_html(const core::Snapshot& snapshot, const NonceOf& nonce, const std::string& host,
                         const std::string& message, const EditNoteOf& edit_note) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>Balancer Manager</title>\n"
      "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:1em}"
      "th,td{border:1px solid #999;padding:2px 6px;text-align:left}th{background:#ddd}"
      "form.edit{display:inline}</style></head><body>\n";
  out += "<h1>Load Balancer Manager for " + html_escape(host) + "</h1>\n";
  out += "<p>Table generation " + std::to_string(snapshot.generation) + "</p>\n";
  if (!message.empty()) out += "<p class=message><b>" + html_escape(message) + "</b></p>\n";
  for (const auto& bp : snapshot.balancers) {
    const core::Balancer& b = *bp;
    const config::Balancer& c = b.config();
    const std::string name = html_escape(c.name);
    out += "<hr>\n<h3>LoadBalancer Status for <a href=\"?b=" + url_encode(c.name) + "\">balancer://" + name +
           "</a> [" + html_escape(nonce(c.name)) + "]</h3>\n";
    out += "<table><tr><th>MaxMembers</th><th>StickySession</th><th>DisableFailover</th><th>Timeout</th>"
           "<th>FailoverAttempts</th><th>Method</th><th>RouteCookie</th></tr>\n<tr>";
    out += "<td>" + std::to_string(b.members().size()) + " [" + std::to_string(b.members().size()) + " Used]</td>";
    out += "<td>" + html_escape(sticky_text(c.sticky)) + "</td>";
    out += std::string("<td>") + (c.nofailover ? "On" : "Off") + "</td>";
    out += "<td>" + std::to_string(c.timeout.count() / 1000) + "</td>";
    out += "<td>" + std::to_string(b.max_attempts()) + "</td>";
    out += std::string("<td>") + config::to_string(c.lbmethod) + "</td>";
    out += "<td>" + html_escape(c.sticky.route_cookie.name.empty() ? "-" : c.sticky.route_cookie.name) + "</td></tr></table>\n";
    out += "<table><tr><th>Worker URL</th><th>Route</th><th>RouteRedir</th><th>Factor</th><th>Set</th>"
           "<th>Status</th><th>Elected</th><th>Busy</th><th>Load</th><th>To</th><th>From</th>"
           "<th>HC Method</th><th>HC Interval</th><th>Passes</th><th>Fails</th><th>HC uri</th><th>Health</th>"
           "<th>Edit</th></tr>\n";
    for (const core::Member& m : b.members()) {
      const config::Member& mc = *m.config;
      const core::MemberState& s = *m.state;
      const uint32_t flags = s.flags.load(std::memory_order_relaxed);
      out += "<tr><td>" + html_escape(mc.url) + (mc.name != mc.url ? " (" + html_escape(mc.name) + ")" : "") + "</td>";
      out += "<td>" + html_escape(mc.route) + "</td><td>" + html_escape(mc.redirect) + "</td>";
      out += "<td>" + fixed2(s.lbfactor.load(std::memory_order_relaxed) / 100.0) + "</td>";
      out += "<td>" + std::to_string(s.lbset.load(std::memory_order_relaxed)) + "</td>";
      out += "<td>" + apache_status_text(flags) + "</td>";
      out += "<td>" + std::to_string(s.elected.load(std::memory_order_relaxed)) + "</td>";
      out += "<td>" + std::to_string(s.busy.load(std::memory_order_relaxed)) + "</td>";
      out += "<td>" + std::to_string(s.lbstatus.load(std::memory_order_relaxed)) + "</td>";
      out += "<td>" + bytes_text(s.transferred.load(std::memory_order_relaxed)) + "</td>";
      out += "<td>" + bytes_text(s.read.load(std::memory_order_relaxed)) + "</td>";
      const config::HealthCheck& hc = mc.health_check;
      out += std::string("<td>") + config::to_string(hc.method) + "</td>";
      out += "<td>" + std::to_string(hc.interval.count()) + "ms</td>";
      out += "<td>" + std::to_string(hc.passes) + "</td><td>" + std::to_string(hc.fails) + "</td>";
      out += "<td>" + html_escape(hc.uri) + "</td><td>" + html_escape(hc_state(hc, s)) + "</td>";
      // Edits are POSTed with the balancer's nonce, like Apache's form.
      out += "<td><form class=edit method=post action=\"balancer-manager\">";
      out += "<input type=hidden name=b value=\"" + name + "\"><input type=hidden name=w value=\"" +
             html_escape(mc.name) + "\"><input type=hidden name=nonce value=\"" + html_escape(nonce(c.name)) + "\">";
      out += "Factor <input name=w_lf size=4 value=\"" + fixed2(s.lbfactor.load(std::memory_order_relaxed) / 100.0) + "\"> ";
      out += "Set <input name=w_ls size=2 value=\"" + std::to_string(s.lbset.load(std::memory_order_relaxed)) + "\"> ";
      out += "Route <input name=w_wr size=8 value=\"" + html_escape(mc.route) + "\"> ";
      out += "Redirect <input name=w_rr size=8 value=\"" + html_escape(mc.redirect) + "\"><br>";
      const std::pair<char, const char*> editable[] = {{'I', "Ignore Errors"}, {'N', "Draining"}, {'D', "Disabled"},
                                                       {'H', "Hot Standby"},   {'R', "Hot Spare"},  {'S', "Stopped"}};
      for (const auto& [letter, label] : editable) {
        const uint32_t bit = letter == 'I' ? core::kIgnoreErrors : letter == 'N' ? core::kDrain
                           : letter == 'D' ? core::kDisabled   : letter == 'H' ? core::kHotStandby
                           : letter == 'R' ? core::kHotSpare   : core::kStopped;
        out += std::string(label) + ": ";
        radio(out, std::string("w_status_") + letter, (flags & bit) != 0);
        out += "<br>";
      }
      out += "<input type=submit value=Submit></form>";
      if (const std::string note = edit_note ? edit_note(c.name, mc.name) : std::string(); !note.empty()) {
        out += "<br><small class=edit-state>" + html_escape(note) + "</small>";
      }
      out += "</td></tr>\n";
    }
    out += "</table>\n";
  }
  out += "</body></html>\n";
  return out;
}

namespace {
void xml_field(std::string& out, const char* name, const std::string& value, int indent) {
  out.append(indent, ' ');
  out += "<httpd:";
  out += name;
  out += '>';
  out += html_escape(value);
  out += "</httpd:";
  out += name;
  out += ">\n";
}
}  // namespace

std::string manager_xml(const core::Snapshot& snapshot) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<httpd:manager xmlns:httpd=\"http://httpd.apache.org\">\n"
                    "  <httpd:balancers>\n";
  for (const auto& bp : snapshot.balancers) {
    const config::Balancer& c = bp->config();
    out += "    <httpd:balancer>\n";
    xml_field(out, "name", "balancer://" + c.name, 6);
    xml_field(out, "stickysession", c.sticky.enabled() ? (c.sticky.url_param != c.sticky.cookie ? c.sticky.cookie + "|" + c.sticky.url_param : c.sticky.cookie) : "(None)", 6);
    xml_field(out, "nofailover", c.nofailover ? "On" : "Off", 6);
    xml_field(out, "timeout", std::to_string(c.timeout.count() / 1000), 6);
    xml_field(out, "lbmethod", config::to_string(c.lbmethod), 6);
    xml_field(out, "scolonpathdelim", c.sticky.scolon_path_delim ? "On" : "Off", 6);
    xml_field(out, "maxattempts", std::to_string(bp->max_attempts()), 6);
    out += "      <httpd:workers>\n";
    for (const core::Member& m : bp->members()) {
      const config::Member& mc = *m.config;
      const core::MemberState& s = *m.state;
      out += "        <httpd:worker>\n";
      xml_field(out, "name", mc.url, 10);
      xml_field(out, "scheme", "http", 10);
      xml_field(out, "hostname", m.host, 10);
      xml_field(out, "loadfactor", fixed2(s.lbfactor.load(std::memory_order_relaxed) / 100.0), 10);
      xml_field(out, "port", std::to_string(m.port), 10);
      xml_field(out, "retry", std::to_string(mc.retry.count() / 1000), 10);
      xml_field(out, "timeout", std::to_string((mc.timeout ? *mc.timeout : c.member_timeout).count() / 1000), 10);
      xml_field(out, "connectiontimeout",
                std::to_string((mc.connection_timeout ? *mc.connection_timeout : c.connection_timeout).count()) + "ms", 10);
      xml_field(out, "route", mc.route, 10);
      xml_field(out, "redirect", mc.redirect, 10);
      xml_field(out, "busy", std::to_string(s.busy.load(std::memory_order_relaxed)), 10);
      xml_field(out, "lbset", std::to_string(s.lbset.load(std::memory_order_relaxed)), 10);
      xml_field(out, "retries", std::to_string(s.retries.load(std::memory_order_relaxed)), 10);
      xml_field(out, "lbstatus", std::to_string(s.lbstatus.load(std::memory_order_relaxed)), 10);
      xml_field(out, "transferred", std::to_string(s.transferred.load(std::memory_order_relaxed)), 10);
      xml_field(out, "read", std::to_string(s.read.load(std::memory_order_relaxed)), 10);
      xml_field(out, "elected", std::to_string(s.elected.load(std::memory_order_relaxed)), 10);
      xml_field(out, "status", apache_status_text(s.flags.load(std::memory_order_relaxed)), 10);
      const config::HealthCheck& hc = mc.health_check;
      xml_field(out, "hcmethod", config::to_string(hc.method), 10);
      xml_field(out, "hcinterval", std::to_string(hc.interval.count()), 10);
      xml_field(out, "hcpasses", std::to_string(hc.passes), 10);
      xml_field(out, "hcfails", std::to_string(hc.fails), 10);
      xml_field(out, "hcuri", hc.uri, 10);
      xml_field(out, "hcstate", hc_state(hc, s), 10);
      out += "        </httpd:worker>\n";
    }
    out += "      </httpd:workers>\n    </httpd:balancer>\n";
  }
  out += "  </httpd:balancers>\n</httpd:manager>\n";
  return out;
}

}  // namespace kb::proxy::admin
