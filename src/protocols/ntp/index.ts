// NTP: the registration, the flags and the time modes' header (ntp.ts), and control messages,
// mode 6 (control.ts), in the order Wireshark's packet-ntp.c declares their fields.
import './ntp';
import './control';
