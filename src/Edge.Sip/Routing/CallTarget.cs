using Calltracking.Edge.Sip.Messages;
using Calltracking.Edge.Sip.Transport;

namespace Calltracking.Edge.Sip.Routing;

/// <summary>One place to try a forwarded call: the Request-URI, the To URI and where to send the INVITE.</summary>
public sealed record CallTarget(SipUri RequestUri, SipUri ToUri, SipEndPoint Destination);
