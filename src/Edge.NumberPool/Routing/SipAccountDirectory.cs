using System.Globalization;
using Calltracking.Edge.NumberPool.Catalogue;
using Calltracking.Shared.Registrations;

namespace Calltracking.Edge.NumberPool.Routing;

/// <summary><c>sip_trunk</c> accounts: user <c>&lt;project&gt;_&lt;postfix&gt;</c>, password = the script's redirect value.</summary>
public sealed class SipAccountDirectory(CatalogueStore catalogue) : ISipAccountDirectory
{
    public async ValueTask<SipAccount?> FindAsync(string user, CancellationToken cancellationToken)
    {
        var underscore = user.IndexOf('_', StringComparison.Ordinal);
        if (underscore <= 0 || !long.TryParse(user.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var projectId))
        {
            return null;
        }

        var script = await catalogue.FindSipAccountAsync(projectId, user[(underscore + 1)..], cancellationToken);
        return script is { IsEnabled: true } ? new SipAccount(projectId, script.Id, user, script.RedirectValue) : null;
    }
}
