"""Article to judgements: normalization, encoding damage, spam, quality flags, relevance,
events, MinHash signatures. Pure: imports neither Scrapy nor the database."""
