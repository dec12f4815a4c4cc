namespace Calltracking.Shared.Routing;

/// <summary>
/// The port the SIP edge asks for every inbound INVITE: which project, script and target the dialed
/// number belongs to, and which visit the call is attributed to. Implemented by the number pool.
/// It must answer in well under a millisecond and never wait on a dead Redis or PostgreSQL: when a
/// store is down it answers from what it knows, with <see cref="RouteLookup.Degraded"/> set.
/// </summary>
public interface IRouteResolver
{
    ValueTask<RouteLookup> ResolveAsync(RouteQuery query, CancellationToken cancellationToken);
}
