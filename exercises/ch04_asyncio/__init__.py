"""ch04_asyncio."""
