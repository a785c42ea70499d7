using System;

namespace LongHeads
{
    /// <summary>
    /// A call into the longheads library failed. <see cref="Status"/> says how (for example
    /// <see cref="LongHeads.Status.Io"/> for a missing file, <see cref="LongHeads.Status.BadFormat"/>
    /// for a corrupted one, <see cref="LongHeads.Status.InvalidArgument"/> for an out-of-range
    /// token id or a disposed object); the message says what, as the library explained it.
    /// </summary>
    [Serializable]
    public class LongHeadsException : Exception
    {
        /// <summary>An exception with this status and message.</summary>
        public LongHeadsException(Status status, string message) : base(message)
        {
            Status = status;
        }

        /// <summary>How the call failed.</summary>
        public Status Status { get; }

        internal static LongHeadsException Closed(string what)
        {
            return new LongHeadsException(Status.InvalidArgument, what + " is closed");
        }
    }

    internal static class Utf8
    {
        internal static byte[] Bytes(string s, string name)
        {
            if (s == null) throw new ArgumentNullException(name);
            return System.Text.Encoding.UTF8.GetBytes(s);
        }

        internal static string Text(byte[] bytes)
        {
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
    }
}
