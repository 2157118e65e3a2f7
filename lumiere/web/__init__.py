"""HTTP plumbing shared by the pages and the API: security headers, allowed origins, and the idle
deadline on request bodies."""
