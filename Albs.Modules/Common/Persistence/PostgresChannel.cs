namespace Albs.Modules.Common.Persistence;

/// <summary>
/// A PostgreSQL notification channel a module listens on (register as a singleton). Its
/// <see cref="OnNotification"/> runs for every <c>NOTIFY</c> on <see cref="Name"/> from any host, and
/// <see cref="OnListening"/> each time the listening connection (re)starts, since notifications sent
/// while it was down are lost. Ignored on SQLite, where one host has the database to itself.
/// </summary>
public sealed record PostgresChannel(string Name, Action<string> OnNotification, Action OnListening);
