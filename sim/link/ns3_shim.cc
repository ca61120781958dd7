/*
 * ns3_shim.cc - the ns-3 side of the ns3 link (nx_ns3.h): builds the
 * topology out of ns-3's own devices, channels, queues and error
 * models, feeds it sized packets and reports which arrive, and when.
 *
 * Time: ns-3's default resolution (1 ns) is the nexus unit.  The world
 * never runs ahead: nx_ns3_run_to() is Simulator::Stop(t - now) +
 * Simulator::Run(), and the caller learns when ns-3 next has work from
 * nx_ns3_next(), which peeks at ns-3's event list through a MapScheduler
 * subclass installed with Simulator::SetScheduler (ns-3 has no public
 * "next event time" call; a scheduler is its documented extension
 * point).
 *
 * Determinism: RngSeedManager::SetSeed/SetRun from the caller's seed,
 * each random variable (error models, CSMA backoff) on an explicit
 * stream number (creation order, restarting with each world), node
 * and device creation in the order the caller's packets ask for them,
 * MAC addresses derived from host indices, no wall clock.  Packets are
 * matched to cookies by ns-3's packet uid, which copies keep.
 */
#include "nx_ns3.h"

#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include <ns3/csma-channel.h>
#include <ns3/csma-net-device.h>
#include <ns3/data-rate.h>
#include <ns3/drop-tail-queue.h>
#include <ns3/error-model.h>
#include <ns3/mac48-address.h>
#include <ns3/map-scheduler.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/object-factory.h>
#include <ns3/packet.h>
#include <ns3/pointer.h>
#include <ns3/point-to-point-channel.h>
#include <ns3/point-to-point-net-device.h>
#include <ns3/queue-size.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>

namespace
{

using namespace ns3;

const uint16_t kIpv4 = 0x0800; /* EtherType; p2p maps it to PPP's 0x0021 */

/* MapScheduler that remembers the live instance, so nx_ns3_next() can
 * PeekNext() the earliest event.  One simulator per process: one
 * instance at a time. */
class PeekScheduler : public MapScheduler
{
  public:
    static TypeId GetTypeId();
    static PeekScheduler* s_live;

    PeekScheduler() { s_live = this; }

    ~PeekScheduler() override
    {
        if (s_live == this)
            s_live = nullptr;
    }
};

PeekScheduler* PeekScheduler::s_live = nullptr;

TypeId
PeekScheduler::GetTypeId()
{
    static TypeId tid = TypeId("nexus::PeekScheduler")
                            .SetParent<MapScheduler>()
                            .SetGroupName("nexus")
                            .AddConstructor<PeekScheduler>();
    return tid;
}

NS_OBJECT_ENSURE_REGISTERED(PeekScheduler);

Mac48Address
HostMac(unsigned host, unsigned peer)
{
    /* Locally administered, unique per (host, peer) device. */
    uint8_t b[6] = {0x02, 0x4e, (uint8_t)(host >> 8), (uint8_t)host, (uint8_t)(peer >> 8),
                    (uint8_t)peer};
    Mac48Address a;
    a.CopyFrom(b);
    return a;
}

} // namespace

struct nx_ns3
{
    nx_ns3_cfg cfg;
    nx_ns3_done_fn done;
    void* arg;
    std::vector<Ptr<Node>> nodes; /* by host index, made on first use */
    /* p2p: (src, dst) -> src's device on the src-dst link */
    std::map<std::pair<unsigned, unsigned>, Ptr<NetDevice>> p2p;
    Ptr<CsmaChannel> bus;
    std::vector<Ptr<CsmaNetDevice>> csma; /* by host index */
    std::map<uint64_t, void*> pending;    /* packet uid -> cookie */
    int64_t next_stream = 0;
    bool closing = false; /* Simulator::Destroy() may flush queues */
    bool in_send = false; /* Send() of sending_uid is running */
    uint64_t sending_uid = 0;
    bool dropped_in_send = false;

    Ptr<Node> NodeOf(unsigned host);
    Ptr<Queue<Packet>> MakeQueue() const;
    void Wire(Ptr<NetDevice> dev);
    Ptr<NetDevice> P2pDevice(unsigned src, unsigned dst);
    Ptr<NetDevice> CsmaDevice(unsigned host);
    bool Rx(Ptr<NetDevice> dev, Ptr<const Packet> p, uint16_t proto, const Address& from);
    void Drop(Ptr<const Packet> p);
};

namespace
{
nx_ns3* g_world = nullptr;
}

Ptr<Node>
nx_ns3::NodeOf(unsigned host)
{
    if (!nodes[host])
        nodes[host] = CreateObject<Node>();
    return nodes[host];
}

Ptr<Queue<Packet>>
nx_ns3::MakeQueue() const
{
    Ptr<Queue<Packet>> q = CreateObject<DropTailQueue<Packet>>();
    q->SetMaxSize(QueueSize(cfg.queue_bytes ? QueueSizeUnit::BYTES : QueueSizeUnit::PACKETS,
                            cfg.queue_len));
    return q;
}

/* Receive side of a device: the error model, the callbacks. */
void
nx_ns3::Wire(Ptr<NetDevice> dev)
{
    if (cfg.loss_ppb != 0)
    {
        Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
        em->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
        em->SetRate((double)cfg.loss_ppb / 1e9);
        em->AssignStreams(next_stream++);
        dev->SetAttribute("ReceiveErrorModel", PointerValue(em));
    }
    dev->SetReceiveCallback(MakeCallback(&nx_ns3::Rx, this));
    /* Queue overflow (MacTxDrop), the error model (PhyRxDrop), CSMA's
     * give-up after backoff (MacTxDrop) and busy channel (PhyTxDrop). */
    for (const char* t : {"MacTxDrop", "PhyTxDrop", "PhyRxDrop"})
        dev->TraceConnectWithoutContext(t, MakeCallback(&nx_ns3::Drop, this));
}

Ptr<NetDevice>
nx_ns3::P2pDevice(unsigned src, unsigned dst)
{
    auto it = p2p.find({src, dst});
    if (it != p2p.end())
        return it->second;
    Ptr<PointToPointChannel> ch = CreateObject<PointToPointChannel>();
    ch->SetAttribute("Delay", TimeValue(NanoSeconds(cfg.delay_ns)));
    for (unsigned end = 0; end < 2; end++)
    {
        unsigned self = end ? dst : src, peer = end ? src : dst;
        Ptr<PointToPointNetDevice> d = CreateObject<PointToPointNetDevice>();
        d->SetAddress(HostMac(self, peer));
        d->SetDataRate(DataRate(cfg.rate_bps));
        d->SetMtu((uint16_t)cfg.mtu);
        d->SetQueue(MakeQueue());
        NodeOf(self)->AddDevice(d);
        d->Attach(ch);
        Wire(d);
        p2p[{self, peer}] = d;
    }
    return p2p[{src, dst}];
}

Ptr<NetDevice>
nx_ns3::CsmaDevice(unsigned host)
{
    if (csma[host])
        return csma[host];
    if (!bus)
    {
        bus = CreateObject<CsmaChannel>();
        bus->SetAttribute("DataRate", DataRateValue(DataRate(cfg.rate_bps)));
        bus->SetAttribute("Delay", TimeValue(NanoSeconds(cfg.delay_ns)));
    }
    Ptr<CsmaNetDevice> d = CreateObject<CsmaNetDevice>();
    d->SetAddress(HostMac(host, 0xffff));
    d->SetMtu((uint16_t)cfg.mtu);
    d->SetQueue(MakeQueue());
    /* The backoff's stream, like the error models', is fixed here:
     * ns-3's automatic stream numbers are process-wide and would make a
     * conformance test's draws depend on the tests run before it. */
    d->AssignStreams(next_stream++);
    NodeOf(host)->AddDevice(d);
    d->Attach(bus);
    Wire(d);
    csma[host] = d;
    return d;
}

bool
nx_ns3::Rx(Ptr<NetDevice> dev, Ptr<const Packet> p, uint16_t proto, const Address& from)
{
    auto it = pending.find(p->GetUid());
    if (closing || it == pending.end())
        return false;
    void* cookie = it->second;
    pending.erase(it);
    done(arg, cookie, true, (uint64_t)Simulator::Now().GetNanoSeconds());
    return true;
}

void
nx_ns3::Drop(Ptr<const Packet> p)
{
    if (in_send && p->GetUid() == sending_uid)
    {
        dropped_in_send = true; /* nx_ns3_send() answers for it */
        return;
    }
    auto it = pending.find(p->GetUid());
    if (closing || it == pending.end())
        return;
    void* cookie = it->second;
    pending.erase(it);
    done(arg, cookie, false, (uint64_t)Simulator::Now().GetNanoSeconds());
}

extern "C" bool
nx_ns3_available(void)
{
    return true;
}

extern "C" struct nx_ns3*
nx_ns3_new(const struct nx_ns3_cfg* cfg, nx_ns3_done_fn done, void* arg, char* err,
           size_t err_len)
{
    if (g_world != nullptr)
    {
        std::snprintf(err, err_len, "ns-3 runs one simulator per process: one ns3 link at a time");
        return nullptr;
    }
    if (cfg->rng_seed == 0 || cfg->rate_bps == 0 || cfg->nodes == 0)
    {
        std::snprintf(err, err_len, "ns3: seed and data rate must be non-zero");
        return nullptr;
    }
    RngSeedManager::SetSeed(cfg->rng_seed);
    RngSeedManager::SetRun(cfg->rng_run);
    ObjectFactory sched;
    sched.SetTypeId(PeekScheduler::GetTypeId());
    Simulator::SetScheduler(sched);

    nx_ns3* w = new nx_ns3();
    w->cfg = *cfg;
    w->done = done;
    w->arg = arg;
    w->nodes.resize(cfg->nodes);
    w->csma.resize(cfg->nodes);
    g_world = w;
    return w;
}

extern "C" void
nx_ns3_free(struct nx_ns3* w)
{
    if (w == nullptr)
        return;
    /* Disposes every node, device, channel and queued packet; the next
     * world starts from a fresh simulator at time 0. */
    w->closing = true;
    Simulator::Destroy();
    g_world = nullptr;
    delete w;
}

extern "C" void
nx_ns3_run_to(struct nx_ns3* w, uint64_t t_ns)
{
    uint64_t now = (uint64_t)Simulator::Now().GetNanoSeconds();

    if (t_ns <= now && nx_ns3_next(w) > now)
        return; /* nothing due, clock already there */
    Simulator::Stop(NanoSeconds(t_ns > now ? t_ns - now : 0));
    Simulator::Run();
}

extern "C" bool
nx_ns3_send(struct nx_ns3* w, unsigned src, unsigned dst, uint32_t ip_bytes, void* cookie)
{
    if (src >= w->cfg.nodes || dst >= w->cfg.nodes || src == dst || ip_bytes > w->cfg.mtu)
        return false;
    Ptr<NetDevice> dev = w->cfg.csma ? w->CsmaDevice(src) : w->P2pDevice(src, dst);
    Address to = w->cfg.csma ? w->CsmaDevice(dst)->GetAddress() : w->P2pDevice(dst, src)->GetAddress();
    Ptr<Packet> p = Create<Packet>(ip_bytes);

    w->pending[p->GetUid()] = cookie;
    w->in_send = true;
    w->sending_uid = p->GetUid();
    w->dropped_in_send = false;
    bool ok = dev->Send(p, to, kIpv4);
    w->in_send = false;
    if (ok && !w->dropped_in_send)
        return true;
    w->pending.erase(p->GetUid());
    return false;
}

extern "C" uint64_t
nx_ns3_next(const struct nx_ns3* w)
{
    PeekScheduler* s = PeekScheduler::s_live;

    if (s == nullptr || s->IsEmpty())
        return UINT64_MAX;
    return s->PeekNext().key.m_ts;
}
