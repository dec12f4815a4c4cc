namespace Calltracking.Shared.Registrations;

/// <summary>
/// Registrar bindings shared by all edge instances (Redis in production), so an account registered
/// through one instance receives calls that arrive at another.
/// </summary>
public interface IRegistrationStore
{
    /// <summary>Adds or refreshes a binding; a binding with an expiry in the past removes it.</summary>
    ValueTask UpsertAsync(string user, ContactBinding binding, CancellationToken cancellationToken);
    ValueTask RemoveAsync(string user, string contactUri, CancellationToken cancellationToken);
    ValueTask RemoveAllAsync(string user, CancellationToken cancellationToken);
    /// <summary>Live bindings, highest q first.</summary>
    ValueTask<IReadOnlyList<ContactBinding>> GetAsync(string user, DateTimeOffset now, CancellationToken cancellationToken);
}
