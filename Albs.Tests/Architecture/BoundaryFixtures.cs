// Small stand-ins for modules, used only to prove the boundary checker finds violations.
#pragma warning disable CA1812, CA1822, IDE0051
namespace Albs.Tests.Architecture.Fixture.Beta.Contracts
{
    internal sealed record BetaDto(int Value);
}

namespace Albs.Tests.Architecture.Fixture.Beta.Internals
{
    internal sealed class BetaSecret
    {
        public static int Peek() => 42;
    }
}

namespace Albs.Tests.Architecture.Fixture.Alpha.Contracts
{
    internal sealed record AlphaDto(int Value);
}

namespace Albs.Tests.Architecture.Fixture.Alpha
{
    internal sealed class UsesBetaContracts
    {
        public Beta.Contracts.BetaDto Make() => new(1);
    }

    internal sealed class UsesBetaInternals
    {
        public int Read() => Beta.Internals.BetaSecret.Peek();
    }
}

namespace Albs.Tests.Architecture.Fixture.Kernel
{
    internal sealed class KernelKnowsAlpha
    {
        public object Make() => new Alpha.Contracts.AlphaDto(2);
    }
}
