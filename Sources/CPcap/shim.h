// libpcap for Swift: the capture target imports this module as CPcap.
#include <pcap/pcap.h>
