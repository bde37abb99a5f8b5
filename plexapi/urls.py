from django.urls import path

from plexapi import views

urlpatterns = [
    path("health", views.HealthApi.as_view(), name="health"),
]
